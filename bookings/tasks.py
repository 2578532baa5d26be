"""Celery tasks of bookings: thin wrappers that load ids and call services."""

from celery import shared_task

from . import services


@shared_task(name="bookings.expire_booking")
def expire_booking(booking_id):
    """Release one unpaid booking's seats once its hold has run out (sent with a countdown)."""
    return services.expire_booking(booking_id)


@shared_task(name="bookings.expire_unpaid_bookings")
def expire_unpaid_bookings():
    """Every minute (beat): sweep every pending booking past its hold."""
    return services.expire_unpaid_bookings()


# --- payments (Stripe events, refunds, Checkout Sessions) ----------------------------------

import logging as _logging  # noqa: E402
import random as _random  # noqa: E402

_payments_logger = _logging.getLogger("bookings.payments")


def _backoff(retries, base=10, cap=600):
    """Exponential backoff with jitter: about 10 s, 20 s, 40 s … capped at 10 minutes."""
    delay = min(cap, base * 2**retries)
    return delay / 2 + _random.uniform(0, delay / 2)


@shared_task(name="bookings.process_stripe_event", bind=True, max_retries=5, acks_late=True)
def process_stripe_event(self, event_id):
    """Act on one stored Stripe event (enqueued by the webhook and by the stale sweep)."""
    from . import stripe_events

    try:
        return stripe_events.process_event(event_id)
    except Exception as exc:  # recorded on the event by process_event; retried with backoff
        if self.request.called_directly or self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=exc, countdown=_backoff(self.request.retries))


@shared_task(name="bookings.refund_booking", bind=True, max_retries=6, acks_late=True)
def refund_booking(self, booking_id):
    """Refund one booking at the gateway, once (idempotency key refund:<booking id>);
    transient failures retry with backoff, the last one marks the refund failed."""
    from . import refunds
    from .payments import GatewayError

    try:
        refunds.perform_refund(booking_id)
    except GatewayError as exc:
        if exc.transient and not self.request.called_directly and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries))
        refunds.mark_refund_failed(booking_id, str(exc))


@shared_task(name="bookings.expire_stripe_session", bind=True, max_retries=5, acks_late=True)
def expire_stripe_session(self, booking_id):
    """Close the Checkout Session of a booking whose hold ended, so it can no longer be paid."""
    from .models import Booking
    from .payments import GatewayError, get_gateway

    booking = Booking.objects.filter(pk=booking_id).only("status", "checkout_session_id").first()
    if booking is None or not booking.checkout_session_id or booking.status == Booking.Status.PAID:
        return
    try:
        get_gateway().expire_checkout_session(booking.checkout_session_id)
    except GatewayError as exc:
        if exc.transient and not self.request.called_directly and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=_backoff(self.request.retries))
        _payments_logger.warning("could not expire session of booking %s: %s", booking_id, exc)


@shared_task(name="bookings.requeue_stale_stripe_events")
def requeue_stale_stripe_events():
    """Every minute (beat): send again stored Stripe events (and refunds) left unprocessed."""
    from . import stripe_events

    return stripe_events.requeue_stale_events()


from .waitlist.tasks import offer_waitlist_seats  # noqa: E402,F401  (bookings.offer_waitlist_seats)
