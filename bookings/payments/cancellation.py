"""Cancelling a booking, with the refund policy that says how much comes back."""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings import emails, enqueue, locking
from bookings.exceptions import TooLate
from bookings.holds.expiry import on_hold_expired, release_seats
from bookings.models import Booking
from core.money import quantum

logger = logging.getLogger(__name__)





def refund_amount_for(booking, at=None):
    """What cancelling `booking` at `at` (default now) would refund, or None when it cannot be cancelled.

    Policy (settings): a pending hold cancels for free (0); a paid booking is refunded in full
    until REFUND_FULL_HOURS before the start, REFUND_PARTIAL_PERCENT % until REFUND_NONE_HOURS
    before, and not at all after that (None: too late). Ended bookings (cancelled, expired, or a
    hold past its expiry) give None. Pure: reads only the booking and its showtime."""
    at = at or timezone.now()
    q = quantum(booking.currency)
    if booking.status == Booking.Status.PENDING:
        return None if booking.is_lapsed(at) else Decimal(0).quantize(q)
    if booking.status != Booking.Status.PAID:
        return None
    time_left = booking.showtime.starts_at - at
    if time_left >= timedelta(hours=settings.REFUND_FULL_HOURS):
        return booking.total.quantize(q)
    if time_left >= timedelta(hours=settings.REFUND_NONE_HOURS):
        share = booking.total * Decimal(settings.REFUND_PARTIAL_PERCENT) / Decimal(100)
        return share.quantize(q, rounding=ROUND_HALF_UP)
    return None


def cancel_booking(booking, by_user):
    """Cancel a pending (free) or paid (refund per policy) booking and release its seats.

    One transaction with the booking row locked. Raises TooLate when it has already ended or the
    showtime is inside the no-refund window. A refund above zero is left `pending` for the task
    "bookings.refund_booking" (payments), sent after commit; the cancellation email is queued in
    the same transaction. Returns the updated booking."""
    with transaction.atomic():
        booking = locking.lock_booking(booking.pk, select_related=["showtime"])
        now = timezone.now()
        if booking.is_over(now):
            raise TooLate(f"This booking has already ended ({'expired' if booking.status != 'cancelled' else 'cancelled'}).")
        amount = refund_amount_for(booking, now)
        if amount is None:
            raise TooLate(
                f"Bookings cannot be cancelled in the last {settings.REFUND_NONE_HOURS} hours before the showtime."
            )
        was_paid = booking.status == Booking.Status.PAID
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.refund_amount = amount
        booking.refund_status = (
            Booking.RefundStatus.PENDING if was_paid and amount > 0 else Booking.RefundStatus.NONE
        )
        booking.save(update_fields=["status", "cancelled_at", "refund_amount", "refund_status", "updated_at"])
        release_seats([booking.pk])
        if not was_paid:
            on_hold_expired([booking.pk])  # the hold ended: close its Checkout Session like an expiry
        emails.queue_booking_cancelled(booking)
        if booking.refund_status == Booking.RefundStatus.PENDING:
            enqueue.send_on_commit("bookings.refund_booking", str(booking.pk))
        logger.info("booking %s cancelled by user %s, refund %s", booking.reference, by_user.pk, amount)
    return booking
