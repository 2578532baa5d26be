"""Log labels of Celery tasks: the booking a task is about, looked up once before it runs.

`config.celery.TaskFormatter` writes `booking=<reference>` from `task.request.booking_reference`,
which `_remember_booking` sets; it lives here because it reads the apps' models."""

import logging
import uuid

from celery.signals import task_prerun

from bookings.models import Booking, StripeEvent
from notifications.models import EmailMessage

logger = logging.getLogger(__name__)


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _reference_of_booking(booking_id):
    pk = _as_uuid(booking_id)
    return pk and Booking.objects.filter(pk=pk).values_list("reference", flat=True).first()


def _reference_of_stripe_event(event_id):
    event = StripeEvent.objects.filter(pk=event_id).values("booking__reference", "payload").first()
    if not event:
        return None
    if event["booking__reference"]:
        return event["booking__reference"]
    session = ((event["payload"] or {}).get("data") or {}).get("object") or {}
    return _reference_of_booking((session.get("metadata") or {}).get("booking_id"))


def _reference_of_email(message_id):
    """Booking emails carry the booking id in their purpose key, e.g. `booking_confirmation:<id>`."""
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
