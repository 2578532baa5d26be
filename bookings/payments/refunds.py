"""Refunds: asked for in the transaction that decides them, carried out by a task.

`request_refund` only records the intent (`refund_status = pending`) and enqueues
`bookings.refund_booking` after commit; `perform_refund` (the task's body) calls the gateway
with the idempotency key `refund:<booking id>`, so however often the task runs (retries,
a redelivery, the sweeper), Stripe makes one refund.

Where the refund ends: `succeeded` as soon as the gateway answers that the refund
succeeded (card refunds and local ones do at once). A refund Stripe reports as `pending`
keeps our `pending` with its `stripe_refund_id` recorded, and the `charge.refunded` event
completes it; `failed`/`canceled`, a refusal, or the last retry failing mark it `failed`
with `refund_error`, shown to staff, who can retry it from the admin."""

import logging

from django.db import transaction
from django.utils import timezone

from bookings import emails, enqueue, locking
from bookings.holds.expiry import release_seats
from bookings.models import Booking
from bookings.payments.gateways import (
    get_gateway,
    refund_idempotency_key,
    to_minor_units,
)

logger = logging.getLogger(__name__)


def request_refund(booking, amount):
    """Mark `booking` (locked by the caller, saved by the caller) for a refund of `amount`
    (a Decimal in its currency; None refunds everything that was paid) and send the task
    once the transaction commits."""
    booking.refund_amount = amount
    booking.refund_status = Booking.RefundStatus.PENDING
    booking.refund_error = ""
    enqueue.send_on_commit("bookings.refund_booking", str(booking.pk))


def retry_failed_refund(booking_id):
    """Staff asked again for a refund that failed: back to pending, task sent. True if so."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None or booking.refund_status != Booking.RefundStatus.FAILED:
            return False
        booking.stripe_refund_id = ""
        request_refund(booking, booking.refund_amount)
        booking.save(update_fields=["refund_status", "refund_error", "refund_amount", "stripe_refund_id", "updated_at"])
    return True


def perform_refund(booking_id):
    """Refund one booking through the gateway, once. Does nothing unless the refund is
    pending and not yet created. Raises payments.GatewayError (its `transient` says whether
    a retry may help); the caller decides about retrying."""
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None or booking.refund_status != Booking.RefundStatus.PENDING or booking.stripe_refund_id:
        return None
    amount_minor = None if booking.refund_amount is None else to_minor_units(booking.refund_amount, booking.currency)
    if amount_minor == 0:
        return _record_result(booking_id, refund_id="", status="succeeded")
    if not (booking.payment_intent_id or booking.checkout_session_id):
        return mark_refund_failed(booking_id, "No payment is recorded for this booking: nothing to refund.")
    result = get_gateway().refund(
        payment_intent_id=booking.payment_intent_id,
        session_id=booking.checkout_session_id,
        amount_minor=amount_minor,
        currency=booking.currency,
        idempotency_key=refund_idempotency_key(booking),
    )
    return _record_result(booking_id, refund_id=result.id, status=result.status)


def _record_result(booking_id, *, refund_id, status):
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if refund_id and not booking.stripe_refund_id:
            booking.stripe_refund_id = refund_id
        if booking.refund_status == Booking.RefundStatus.PENDING:
            if status == "succeeded":
                booking.refund_status = Booking.RefundStatus.SUCCEEDED
            elif status in ("failed", "canceled"):
                booking.refund_status = Booking.RefundStatus.FAILED
                booking.refund_error = f"Stripe reported the refund {refund_id} as {status}."
            # pending / requires_action: charge.refunded will complete it.
        booking.save(update_fields=["stripe_refund_id", "refund_status", "refund_error", "updated_at"])
    return booking


def mark_refund_failed(booking_id, error):
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None or booking.refund_status != Booking.RefundStatus.PENDING:
            return booking
        booking.refund_status = Booking.RefundStatus.FAILED
        booking.refund_error = str(error)[:2000]
        booking.save(update_fields=["refund_status", "refund_error", "updated_at"])
    logger.warning("refund of booking %s failed: %s", booking_id, error)
    return booking


def cancel_and_refund_in_full(booking_id):
    """Staff (admin action): cancel a paid booking whatever the policy window says, release its
    seats and refund everything. True if done; a booking not paid, or already refunding, is left."""
    with transaction.atomic():
        booking = locking.lock_booking_for_payment(booking_id)
        if booking is None or booking.status != Booking.Status.PAID or booking.refund_status != Booking.RefundStatus.NONE:
            return False
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = timezone.now()
        request_refund(booking, booking.total)
        booking.save()
        release_seats([booking.pk])
        emails.queue_booking_cancelled(booking)
    return True
