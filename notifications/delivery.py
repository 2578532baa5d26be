"""Delivery of one outbox row: claim it, send it through the primary provider, then the fallback.

Imports no other app of ours. Providers are Django email backends (SMTP, or anymail's ESP
backends); each worker thread keeps one open connection per provider and reuses it across
messages, reopening it when it breaks."""

import logging
import random
import smtplib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email import encoders
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.utils import make_msgid
from functools import lru_cache

import environ
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.core.mail.utils import DNS_NAME
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import Case, Q, Value, When
from django.dispatch import receiver
from django.utils import timezone

from .models import EmailMessage

logger = logging.getLogger(__name__)

RETRY_CAP_SECONDS = 3600
# A scheduled retry may arrive a moment before `next_attempt_at` (clock granularity).
RETRY_EARLY_TOLERANCE = timedelta(seconds=1)


class OutboxEmail(EmailMultiAlternatives):
    """Puts parts that carry a Content-ID with the HTML in a multipart/related part, so that
    `cid:` references resolve; the other attachments stay in the outer multipart/mixed.

    Inline parts are also plain MIMEBase attachments, which is how anymail's ESP backends
    recognise inline images."""

    def _create_attachments(self, msg):
        inline = [a for a in self.attachments if isinstance(a, MIMEBase) and a.get("Content-ID")]
        if not inline:
            return super()._create_attachments(msg)
        encoding = self.encoding or settings.DEFAULT_CHARSET
        related = SafeMIMEMultipart(_subtype="related", encoding=encoding)
        related.attach(msg)
        for part in inline:
            related.attach(part)
        others = [a for a in self.attachments if not any(a is part for part in inline)]
        if not others:
            return related
        mixed = SafeMIMEMultipart(_subtype=self.mixed_subtype, encoding=encoding)
        mixed.attach(related)
        for attachment in others:
            mixed.attach(attachment if isinstance(attachment, MIMEBase) else self._create_attachment(*attachment))
        return mixed

    def message(self):
        """Django's message, with each multipart's boundary chosen here: a random 128-bit token
        cannot occur in the body, so the generator's own search for a free boundary (a fresh
        regular expression compiled and run over every part, per message) is skipped."""
        msg = super().message()
        _set_boundaries(msg)
        return msg


def _set_boundaries(part):
    if isinstance(part, MIMEMultipart):
        if part.get_boundary() is None:
            part.set_boundary(f"=============={uuid.uuid4().hex}==")
        for child in part.get_payload():
            _set_boundaries(child)


def _inline_part(attachment, content):
    """One part that is both shown by the HTML (Content-ID) and saved under its filename
    (`Content-Disposition: inline; filename=…`): a ticket's QR is stored and sent once."""
    maintype, _, subtype = attachment.content_type.partition("/")
    if maintype == "image":
        part = MIMEImage(content, _subtype=subtype or "png")
    else:
        part = MIMEBase(maintype or "application", subtype or "octet-stream")
        part.set_payload(content)
        encoders.encode_base64(part)
    part.add_header("Content-ID", f"<{attachment.content_id}>")
    part.add_header("Content-Disposition", "inline", filename=attachment.filename)
    return part


def build_email(message):
    """The EmailMultiAlternatives of a row: text, HTML, attachments, inline images, headers."""
    headers = dict(message.headers or {})
    headers["Message-ID"] = make_msgid(domain=str(DNS_NAME))
    email = OutboxEmail(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all() if message.attachment_count else ():
        content = attachment.payload()  # a deferred one (a ticket's QR) is rendered here, at send time
        if attachment.content_id:
            email.attach(_inline_part(attachment, content))
        else:
            email.attach(attachment.filename, content, attachment.content_type)
    return email


# --- providers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    name: str
    backend: str
    options: tuple = field(default=())

    def open(self):
        return get_connection(self.backend, fail_silently=False, **dict(self.options))


def _short_backend(path):
    """'django.core.mail.backends.smtp.EmailBackend' -> 'smtp'; anymail's -> 'sendgrid', …"""
    parts = path.split(".")
    return parts[-2] if len(parts) >= 2 else path


_URL_OPTION_NAMES = {
    "EMAIL_HOST": "host",
    "EMAIL_PORT": "port",
    "EMAIL_HOST_USER": "username",
    "EMAIL_HOST_PASSWORD": "password",
    "EMAIL_USE_TLS": "use_tls",
    "EMAIL_USE_SSL": "use_ssl",
    "EMAIL_FILE_PATH": "file_path",
}


@lru_cache(maxsize=1)
def providers():
    """The primary (Django's configured backend) and, when set, the fallback (EMAIL_FALLBACK_URL).

    Read once per process (a tuple, so it cannot be changed in place); a change of an EMAIL_
    setting (tests' override_settings) clears it with the cached connections."""
    primary_options = (
        ("host", settings.EMAIL_HOST),
        ("port", settings.EMAIL_PORT),
        ("username", settings.EMAIL_HOST_USER),
        ("password", settings.EMAIL_HOST_PASSWORD),
        ("use_tls", settings.EMAIL_USE_TLS),
        ("use_ssl", settings.EMAIL_USE_SSL),
        ("timeout", settings.EMAIL_TIMEOUT),
    )
    result = [Provider(f"primary:{_short_backend(settings.EMAIL_BACKEND)}", settings.EMAIL_BACKEND, primary_options)]
    if settings.EMAIL_FALLBACK_URL:
        config = environ.Env.email_url_config(settings.EMAIL_FALLBACK_URL)
        backend = config.pop("EMAIL_BACKEND")
        options = [(_URL_OPTION_NAMES[k], v) for k, v in config.items() if k in _URL_OPTION_NAMES and v not in (None, "")]
        options.append(("timeout", settings.EMAIL_TIMEOUT))
        result.append(Provider(f"fallback:{_short_backend(backend)}", backend, tuple(sorted(options))))
    return tuple(result)


_local = threading.local()


def _connections():
    if not hasattr(_local, "connections"):
        _local.connections = {}
    return _local.connections


def _connection(provider):
    """(connection, reused): the open connection of this thread for the provider."""
    cache = _connections()
    conn = cache.get(provider)
    if conn is not None:
        return conn, True
    conn = provider.open()
    conn.open()
    cache[provider] = conn
    return conn, False


def _drop(provider):
    conn = _connections().pop(provider, None)
    if conn is not None:
        try:
            conn.close()
        except Exception:  # a broken connection may fail to close; it is gone either way
            pass


def close_connections():
    for provider in list(_connections()):
        _drop(provider)


@receiver(setting_changed)
def _settings_changed(setting, **kwargs):
    if setting.startswith("EMAIL_") or setting == "DEFAULT_FROM_EMAIL":
        providers.cache_clear()
        close_connections()


def _is_broken_connection(exc):
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class NothingSent(Exception):
    pass


def _send_once(provider, email):
    conn, reused = _connection(provider)
    try:
        if not conn.send_messages([email]):
            raise NothingSent("the provider accepted no recipient")
    except Exception as exc:
        _drop(provider)
        if reused and _is_broken_connection(exc):
            # The server closed our idle connection: that is no verdict on this message.
            conn, _ = _connection(provider)
            try:
                if not conn.send_messages([email]):
                    raise NothingSent("the provider accepted no recipient") from None
            except Exception:
                _drop(provider)
                raise
        else:
            raise


def _provider_message_id(email):
    status = getattr(email, "anymail_status", None)
    if status is not None and status.message_id:
        ids = status.message_id
        return str(next(iter(ids)) if isinstance(ids, set) else ids)[:255]
    return str(email.extra_headers.get("Message-ID", ""))[:255]


# --- the attempt ----------------------------------------------------------------------------


def retry_delay(attempt):
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**(attempt-1)))."""
    ceiling = min(RETRY_CAP_SECONDS, settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return random.uniform(0, ceiling)


@dataclass
class Outcome:
    status: str
    retry_in: float | None = None


_CLAIM_SQL = """
UPDATE {table} SET status = %s, attempts = attempts + 1, updated_at = %s
WHERE id IN ({ids}) AND (
    (status = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s))
    OR (status = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s))
    OR (status = %s AND updated_at < %s)
)
RETURNING *
"""


def claim(message_id):
    """Atomically move the row to `sending` (attempts + 1) and return it, in one round trip
    (UPDATE … RETURNING, PostgreSQL and SQLite alike); None when another worker has it or
    there is nothing left to do.

    Claimable: pending (and due, when a rate limit gave it a slot); failed and due; `sending`
    but abandoned (a worker died mid-send)."""
    rows = claim_many([message_id])
    return rows[0] if rows else None


def claim_many(message_ids):
    """claim() for a few rows in one statement (a batch claims CLAIM_CHUNK at a time): the
    rows now ours, by id."""
    if not message_ids:
        return []
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    adapt = connection.ops.adapt_datetimefield_value
    S = EmailMessage.Status
    due = adapt(now + RETRY_EARLY_TOLERANCE)
    params = [S.SENDING, adapt(now), *message_ids, S.PENDING, due, S.FAILED, due, S.SENDING, adapt(stale)]
    sql = _CLAIM_SQL.format(table=EmailMessage._meta.db_table, ids=", ".join(["%s"] * len(message_ids)))
    return sorted(EmailMessage.objects.raw(sql, params), key=lambda message: message.pk)


def _finish(message, **values):
    """Record the attempt's outcome: one UPDATE by primary key, without a re-read, that changes
    the row only while it is still this attempt's (`sending`, same attempts). Plain SQL: the
    ORM's update() would compile the same statement again for every message."""
    meta = EmailMessage._meta
    assignments = ", ".join(f"{connection.ops.quote_name(meta.get_field(name).column)} = %s" for name in values)
    params = [meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()]
    params += [message.pk, EmailMessage.Status.SENDING, message.attempts]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {assignments} "
            "WHERE id = %s AND status = %s AND attempts = %s",
            params,
        )


def record_sent(sent):
    """Write the successes a batch collected, in one UPDATE, each row only while it is still
    that attempt's (`sending`, same attempts), as `_finish` does for one; empties the list."""
    if not sent:
        return
    S = EmailMessage.Status
    ours = Q()
    for message, _ in sent:
        ours |= Q(pk=message.pk, attempts=message.attempts)

    def per_row(name):
        return Case(*(When(pk=message.pk, then=Value(values[name])) for message, values in sent),
                    output_field=EmailMessage._meta.get_field(name))

    EmailMessage.objects.filter(ours, status=S.SENDING).update(
        status=S.SENT, next_attempt_at=None, updated_at=timezone.now(),
        **{name: per_row(name) for name in ("provider", "provider_message_id", "last_error", "sent_at")},
    )
    sent.clear()


def deliver(message_id):
    """One delivery attempt of a row. Returns None when the row was not ours to send."""
    message = claim(message_id)
    return None if message is None else attempt(message)


def attempt(message, sent=None):
    """Send a claimed row through the primary provider, then the fallback, and record the outcome.

    With a `sent` list (a batch), a success is appended to it for `record_sent` to write with
    the next few, one statement for them all; failures are written at once (they schedule a retry)."""
    message_id = message.pk
    errors = []
    try:
        email = build_email(message)
        candidates = providers()
    except Exception as exc:  # a row that cannot be built (or a bad EMAIL_FALLBACK_URL) fails like a send
        logger.exception("email %s could not be prepared", message_id)
        errors.append(f"preparing: {exc!r}"[:1000])
        candidates = []
    for provider in candidates:
        try:
            _send_once(provider, email)
        except Exception as exc:
            logger.warning("email %s via %s failed: %r", message_id, provider.name, exc)
            errors.append(f"{provider.name}: {exc!r}"[:1000])
            continue
        values = {"provider": provider.name[:64], "provider_message_id": _provider_message_id(email),
                  "last_error": "\n".join(errors), "sent_at": timezone.now()}
        if sent is None:
            _finish(message, status=EmailMessage.Status.SENT, next_attempt_at=None, updated_at=values["sent_at"],
                    **values)
        else:
            sent.append((message, values))
        return Outcome(EmailMessage.Status.SENT)

    now = timezone.now()
    last_error = "\n".join(errors) or "no provider configured"
    if message.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        _finish(message, status=EmailMessage.Status.DEAD, last_error=last_error, next_attempt_at=None, updated_at=now)
        logger.error("email %s is dead after %s attempts", message_id, message.attempts)
        return Outcome(EmailMessage.Status.DEAD)
    delay = retry_delay(message.attempts)
    _finish(
        message,
        status=EmailMessage.Status.FAILED,
        last_error=last_error,
        next_attempt_at=now + timedelta(seconds=delay),
        updated_at=now,
    )
    return Outcome(EmailMessage.Status.FAILED, retry_in=delay)


def stale_message_ids(limit=1000):
    """Rows a lost enqueue or a dead worker left behind, for the per-minute sweep."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    query = (
        Q(status=EmailMessage.Status.PENDING, updated_at__lt=cutoff, next_attempt_at__isnull=True)
        | Q(status=EmailMessage.Status.PENDING, next_attempt_at__lt=cutoff)
        | Q(status=EmailMessage.Status.FAILED, next_attempt_at__lt=cutoff)
        | Q(status=EmailMessage.Status.FAILED, next_attempt_at__isnull=True, updated_at__lt=cutoff)
        | Q(status=EmailMessage.Status.SENDING, updated_at__lt=cutoff)
    )
    return list(EmailMessage.objects.filter(query).order_by("id").values_list("id", flat=True)[:limit])


def due_soon(now, within_seconds, limit=10_000):
    """[(when, ids)] of rows waiting in the database (a retry, a rate-limit slot) whose time
    comes within the next `within_seconds`, in batches of EMAIL_SEND_BATCH_SIZE by time, each
    with its first row's time: the per-minute sweep hands them to the broker with a short
    countdown, so no broker message ever waits longer than that."""
    rows = list(
        EmailMessage.objects.filter(
            status__in=(EmailMessage.Status.PENDING, EmailMessage.Status.FAILED),
            next_attempt_at__gt=now,
            next_attempt_at__lte=now + timedelta(seconds=within_seconds),
        )
        .order_by("next_attempt_at", "id")
        .values_list("next_attempt_at", "id")[:limit]
    )
    size = settings.EMAIL_SEND_BATCH_SIZE
    return [(rows[i][0], [pk for _, pk in rows[i:i + size]]) for i in range(0, len(rows), size)]
