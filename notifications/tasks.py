"""Celery tasks of notifications: thin wrappers that take ids, re-read state and call the rules.

The outbox and the announcements enqueue these by name (`core.tasks.task_named`), so this module
may import them without a circle."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.tasks import send_task_safely

from . import delivery
from .announcements import plan_announcement, requeue_stuck_announcements, send_announcement_batch
from .models import EmailMessage
from .reminders import send_showtime_reminders as queue_due_reminders


@shared_task(
    bind=True,
    name="notifications.send_email",
    queue="email",
    acks_late=True,
    reject_on_worker_lost=True,
    rate_limit=settings.EMAIL_RATE_LIMIT,
    ignore_result=True,
)
def send_email(self, message_id):
    """Deliver one outbox row; a failed attempt schedules the next one with backoff."""
    outcome = delivery.deliver(message_id)
    if outcome is not None and outcome.retry_in is not None:
        send_task_safely(self, args=(message_id,), countdown=outcome.retry_in)
    return outcome.status if outcome else None


@shared_task(name="notifications.requeue_stale_emails", ignore_result=True)
def requeue_stale_emails():
    """Every minute: enqueue rows a lost enqueue or a dead worker left behind (and announcements
    whose planning or batch tasks were lost)."""
    ids = delivery.stale_message_ids()
    # Mark them seen so that a long queue is not topped up every minute with the same rows.
    EmailMessage.objects.filter(pk__in=ids, status=EmailMessage.Status.PENDING).update(updated_at=timezone.now())
    EmailMessage.objects.filter(pk__in=ids, status=EmailMessage.Status.FAILED).update(next_attempt_at=timezone.now())
    for message_id in ids:
        send_task_safely(send_email, args=(message_id,))
    requeue_stuck_announcements()  # lost announcement enqueues, same sweep
    return len(ids)


@shared_task(name="notifications.send_showtime_reminders", ignore_result=True)
def send_showtime_reminders():
    return queue_due_reminders()


@shared_task(name="notifications.announce_movie", ignore_result=True)
def announce_movie(movie_id):
    plan_announcement(movie_id)


@shared_task(name="notifications.announce_movie_batch", ignore_result=True)
def announce_movie_batch(movie_id, from_user_id, before_user_id=None):
    return send_announcement_batch(movie_id, from_user_id, before_user_id)
