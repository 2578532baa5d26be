"""The outbox API: every email is a row first, written in the caller's transaction (DESIGN rule 4).

Imports no other app of ours: callers hand over a rendered message and a purpose key, and the
row is sent by `notifications.send_email` once the caller's transaction commits."""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.tasks import enqueue_on_commit, send_task_safely, task_named

from .models import EmailAttachment, EmailMessage

logger = logging.getLogger(__name__)

RESENDABLE = (EmailMessage.Status.FAILED, EmailMessage.Status.DEAD, EmailMessage.Status.SENT)


@dataclass(frozen=True)
class Attachment:
    """A file for a message; with a `content_id` it is shown inline (`<img src="cid:...">`)."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str = ""


def _send_task():
    return task_named("notifications.send_email")  # tasks imports this module


def enqueue_send(message_id):
    """Enqueue the delivery of one row after the current transaction commits."""
    enqueue_on_commit(_send_task(), message_id)


def enqueue_many_on_commit(task, args_list):
    """After commit, send `task(*args)` for each args over one producer (one broker connection).

    Like core.tasks.enqueue_on_commit for many tasks at once: a fan-out publishes thousands.
    The first broker failure stops the loop; the rows stay in the database for the sweepers."""
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return

    def publish():
        try:
            with task.app.producer_or_acquire() as producer:
                for args in args_list:
                    if send_task_safely(task, args=args, producer=producer) is None:
                        return
        except Exception:  # the pool itself may fail to hand out a producer when the broker is away
            logger.warning("could not enqueue %s tasks of %s; the sweeper will retry", len(args_list), task.name)

    transaction.on_commit(publish)


def already_queued(idempotency_key):
    return EmailMessage.objects.filter(idempotency_key=idempotency_key).exists()


def queue_email(
    kind,
    to,
    subject,
    text,
    html="",
    *,
    idempotency_key,
    user=None,
    attachments=(),
    headers=None,
    language="en",
):
    """Get or create the row for this purpose and enqueue its send after commit.

    Returns (message, created). A second call with the same key changes nothing and sends
    nothing: the unique key is the guard, so concurrent callers cannot both create it."""
    existing = EmailMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    attachments = list(attachments)
    try:
        with transaction.atomic():
            message = EmailMessage.objects.create(
                kind=kind,
                to=to,
                user=user,
                subject=subject[:255],
                body_text=text,
                body_html=html or "",
                headers=dict(headers or {}),
                language=language or "en",
                idempotency_key=idempotency_key,
                attachment_count=len(attachments),
            )
            EmailAttachment.objects.bulk_create(
                EmailAttachment(
                    message=message,
                    filename=a.filename,
                    content_type=a.content_type,
                    content=a.content,
                    content_id=a.content_id,
                )
                for a in attachments
            )
    except IntegrityError:
        # Another transaction created the same purpose first (it has committed by now).
        return EmailMessage.objects.get(idempotency_key=idempotency_key), False
    enqueue_send(message.id)
    return message, True


def queue_emails_bulk(messages):
    """Insert many unsaved EmailMessage rows (no attachments), skipping keys that exist.

    Enqueues the sends of the rows still pending and never tried, so running the same batch
    twice creates nothing twice; a second enqueue of a row is harmless (delivery claims it).
    Returns the ids enqueued."""
    messages = list(messages)
    if not messages:
        return []
    EmailMessage.objects.bulk_create(messages, ignore_conflicts=True)
    ids = list(
        EmailMessage.objects.filter(
            idempotency_key__in=[m.idempotency_key for m in messages],
            status=EmailMessage.Status.PENDING,
            attempts=0,
        ).values_list("id", flat=True)
    )
    enqueue_many_on_commit(_send_task(), [(message_id,) for message_id in ids])
    return ids


class NotResendable(Exception):
    pass


def resend(message_id):
    """Put a failed, dead or sent message back to pending with fresh attempts, and enqueue it."""
    updated = EmailMessage.objects.filter(pk=message_id, status__in=RESENDABLE).update(
        status=EmailMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=None,
        updated_at=timezone.now(),
    )
    if not updated:
        raise NotResendable(message_id)
    enqueue_send(message_id)


def send_now(message_id):
    """Enqueue a pending or failed message at once, ignoring the wait for its next retry."""
    updated = EmailMessage.objects.filter(
        pk=message_id, status__in=(EmailMessage.Status.PENDING, EmailMessage.Status.FAILED)
    ).update(next_attempt_at=None, updated_at=timezone.now())
    if updated:
        enqueue_send(message_id)
    return bool(updated)
