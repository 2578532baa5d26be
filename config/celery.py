"""The Celery app. `celery -A config worker` with no -Q consumes every queue declared here.

Every log line a task writes carries the task's name and id and, for work about one booking,
the booking's reference (`booking=K7Q-4XM2`), so that support can follow a customer's booking
through the logs of web, worker and beat."""

import logging
import os
import uuid

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue("default"), Queue("payments"), Queue("email")]
# Celery's Django fix-up closes every database connection before and after each task (5.7 does
# so whatever CONN_MAX_AGE says), so every task paid for new PostgreSQL connections. Turn that
# off and treat a task like a request instead: close_old_connections() honours CONN_MAX_AGE and
# CONN_HEALTH_CHECKS, so a connection that broke (a database restart) is replaced, not reused.
app.conf["CELERY_DB_REUSE_MAX"] = 10**9
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(task=None, **kwargs):
    from django.db import close_old_connections

    if not getattr(getattr(task, "request", None), "is_eager", False):
        close_old_connections()

LOG_FORMAT = "%(asctime)s %(levelname)s [%(task_name)s(%(task_id)s)%(booking)s] %(name)s %(message)s"
logger = logging.getLogger(__name__)


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _reference_of_booking(booking_id):
    from bookings.models import Booking

    pk = _as_uuid(booking_id)
    return pk and Booking.objects.filter(pk=pk).values_list("reference", flat=True).first()


def _reference_of_stripe_event(event_id):
    from bookings.models import StripeEvent

    event = StripeEvent.objects.filter(pk=event_id).values("booking__reference", "payload").first()
    if not event:
        return None
    if event["booking__reference"]:
        return event["booking__reference"]
    session = ((event["payload"] or {}).get("data") or {}).get("object") or {}
    return _reference_of_booking((session.get("metadata") or {}).get("booking_id"))


def _reference_of_email(message_id):
    """Booking emails carry the booking id in their purpose key, e.g. `booking_confirmation:<id>`."""
    from notifications.models import EmailMessage

    key = EmailMessage.objects.filter(pk=message_id).values_list("idempotency_key", flat=True).first() or ""
    return _reference_of_booking(key.rpartition(":")[2]) if key.startswith(("booking_", "late_payment")) else None


# Task name -> how to find the booking reference from the task's first argument.
BOOKING_OF_TASK = {
    "bookings.expire_booking": _reference_of_booking,
    "bookings.refund_booking": _reference_of_booking,
    "bookings.expire_stripe_session": _reference_of_booking,
    "bookings.process_stripe_event": _reference_of_stripe_event,
    "notifications.send_email": _reference_of_email,
}


@task_prerun.connect
def _remember_booking(task_id=None, task=None, args=None, kwargs=None, **extra):
    """Look the reference up once, before the task runs (outside its transaction)."""
    find = BOOKING_OF_TASK.get(getattr(task, "name", ""))
    if not find or not args:
        return
    try:
        task.request.booking_reference = find(args[0])
    except Exception:  # a log label must never fail a task (the database may be away)
        logger.debug("no booking reference for %s", task_id, exc_info=True)


class TaskFormatter(logging.Formatter):
    """Celery's TaskFormatter, plus ` booking=<reference>` when the task is about one booking."""

    def format(self, record):
        from celery._state import get_current_task

        task = get_current_task()
        request = getattr(task, "request", None)
        if request is not None and request.id:
            record.__dict__.update(task_id=request.id, task_name=task.name)
            reference = getattr(request, "booking_reference", None)
            record.booking = f" booking={reference}" if reference else ""
        else:
            record.__dict__.setdefault("task_name", "???")
            record.__dict__.setdefault("task_id", "???")
            record.__dict__.setdefault("booking", "")
        return super().format(record)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_task_ids(logger, *args, **kwargs):
    """Every log line a task writes carries its task name and id (and booking reference)."""
    for handler in logger.handlers:
        handler.setFormatter(TaskFormatter(LOG_FORMAT))
    logger.setLevel(logging.INFO)
