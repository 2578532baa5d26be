"""Celery tasks of bookings: thin wrappers that load ids and call services.

Retries back off with Celery's retry_backoff/retry_jitter (about 10 s, 20 s, 40 s … capped at
10 minutes, jittered), not a hand-written formula."""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from bookings.holds import expiry
from bookings.models import Booking
from bookings.payments import refunds, stripe_events
from bookings.payments.gateways import GatewayError, get_gateway

logger = logging.getLogger(__name__)

BACKOFF = {"retry_backoff": 10, "retry_backoff_max": 600, "retry_jitter": True}


@shared_task(name="bookings.expire_booking")
def expire_booking(booking_id):
    """Release one unpaid booking's seats once its hold has run out (a no-op before that).
    Holds send no task: operators and the admin call it; the sweep below ends holds."""
    return expiry.expire_booking(booking_id)


@shared_task(name="bookings.expire_unpaid_bookings")
def expire_unpaid_bookings():
    """Every EXPIRY_SWEEP_SECONDS (beat): end every pending booking past its hold."""
    return expiry.expire_unpaid_bookings()


def _retry_transient(task, exc):
    """Retry a transient gateway failure with the task's backoff; False when out of tries."""
    if exc.transient and not task.request.called_directly and task.request.retries < task.max_retries:
        raise task.retry(exc=exc, countdown=_countdown(task))
    return False


def _countdown(task):
    return get_exponential_backoff_interval(
        factor=task.retry_backoff, retries=task.request.retries, maximum=task.retry_backoff_max, full_jitter=task.retry_jitter
    )


@shared_task(name="bookings.process_stripe_event", bind=True, max_retries=5, acks_late=True,
             autoretry_for=(Exception,), **BACKOFF)
def process_stripe_event(self, event_id):
    """Act on one stored Stripe event (enqueued by the webhook and by the stale sweep). A failure
    is recorded on the event by process_event and retried with backoff."""
    return stripe_events.process_event(event_id)


@shared_task(name="bookings.refund_booking", bind=True, max_retries=6, acks_late=True, **BACKOFF)
def refund_booking(self, booking_id):
    """Refund one booking at the gateway, once (idempotency key refund:<booking id>);
    transient failures retry with backoff, the last one marks the refund failed."""
    try:
        refunds.perform_refund(booking_id)
    except GatewayError as exc:
        _retry_transient(self, exc)
        refunds.mark_refund_failed(booking_id, str(exc))


@shared_task(name="bookings.expire_stripe_session", bind=True, max_retries=5, acks_late=True, **BACKOFF)
def expire_stripe_session(self, booking_id):
    """Close the Checkout Session of a booking whose hold ended, so it can no longer be paid."""
    booking = Booking.objects.filter(pk=booking_id).only("status", "checkout_session_id").first()
    if booking is None or not booking.checkout_session_id or booking.status == Booking.Status.PAID:
        return
    try:
        get_gateway().expire_checkout_session(booking.checkout_session_id)
    except GatewayError as exc:
        _retry_transient(self, exc)
        logger.warning("could not expire session of booking %s: %s", booking_id, exc)


@shared_task(name="bookings.requeue_stale_stripe_events")
def requeue_stale_stripe_events():
    """Every minute (beat): send again stored Stripe events (and refunds) left unprocessed."""
    return stripe_events.requeue_stale_events()


from .waitlist.tasks import offer_waitlist_seats  # noqa: E402,F401  (bookings.offer_waitlist_seats)
