"""Stripe webhook events: verified and stored once by the webhook, acted on once by a task.

DESIGN.md rule 5. `receive_event` is all the web request does (verify, insert by id,
enqueue after commit). `process_event` runs in `bookings.process_stripe_event`: it locks
the stored event, then the booking, and applies a state transition that checks the
booking's state first, so a duplicate delivery, the same change under a second event id,
or events out of order change nothing twice.
"""

import functools
import logging
import uuid
from contextlib import nullcontext
from datetime import timedelta

import stripe
from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from bookings import emails, enqueue, locking
from bookings.holds import expiry
from bookings.models import Booking, BookingSeat, StripeEvent
from bookings.payments.gateways import from_minor_units, to_minor_units
from bookings.payments.refunds import request_refund
from bookings.tickets import services as tickets
from bookings.waitlist import triggers as waitlist
from core.parsers import TooDeep, loads_shallow

logger = logging.getLogger(__name__)

# A stored event is tried at most this many times (task retries and sweeps together).
MAX_ATTEMPTS = 10
SWEEP_BATCH = 500


class InvalidWebhook(Exception):
    """Bad or missing signature, stale timestamp, or a body that is not a Stripe event."""

    code = "invalid_signature"


class UnstorableEvent(InvalidWebhook):
    """Correctly signed, but a body we cannot store (a NUL character, nesting far too deep)."""

    code = "invalid_payload"


# --- receiving -----------------------------------------------------------------------------


def receive_event(payload, signature_header):
    """Verify `payload` (the raw body) against its `Stripe-Signature` header and store the event
    by its id. Returns (event_id, created); a duplicate is (event_id, False) and does nothing."""
    try:
        stripe.Webhook.construct_event(payload, signature_header, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(f"Invalid Stripe signature: {exc.user_message or exc}") from exc
    except Exception as exc:  # signed, but bad UTF-8, bad JSON, or JSON that is not an event object
        raise InvalidWebhook("The body is not a Stripe event.") from exc
    try:
        data = loads_shallow(payload)
    except TooDeep as exc:
        raise UnstorableEvent(f"The event is {exc}") from exc
    event_id, event_type = data.get("id"), data.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255 or not isinstance(event_type, str):
        raise InvalidWebhook("The event has no usable id or type.")
    if "\x00" in event_id or "\x00" in event_type:
        raise UnstorableEvent("The event's id or type holds a NUL character.")
    try:
        # Outside a transaction the INSERT is one autocommitted statement (no BEGIN/COMMIT round
        # trips on the webhook's hot path); inside one (the local Pay page) a savepoint keeps a
        # duplicate from breaking the caller's transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            StripeEvent.objects.create(id=event_id, type=event_type[:100], payload=data)
    except IntegrityError:
        return event_id, False
    except DataError as exc:  # e.g. \u0000 in a string, which PostgreSQL's jsonb refuses
        raise UnstorableEvent("The event cannot be stored (a NUL character?).") from exc
    enqueue.send_on_commit("bookings.process_stripe_event", event_id)  # at once in autocommit, else after commit
    return event_id, True


# --- processing ----------------------------------------------------------------------------


def process_event(event_id):
    """Act on one stored event, once. Returns the event's status.

    Any error rolls the transition back, is recorded on the event (`failed`, attempts,
    last_error) and re-raised so that the task retries with backoff."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None:
                return None
            if event.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
                return event.status
            handler = HANDLERS.get(event.type)
            obj = (event.payload.get("data") or {}).get("object") or {}
            if handler is None:
                status, note = StripeEvent.Status.IGNORED, f"{event.type} is not an event this site acts on."
            else:
                status, note = handler(event, obj)
            event.status = status
            event.last_error = note
            event.attempts = F("attempts") + 1
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "last_error", "attempts", "processed_at", "booking"])
            return status
    except Exception as exc:
        StripeEvent.objects.filter(pk=event_id).exclude(
            status__in=[StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED]
        ).update(status=StripeEvent.Status.FAILED, attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:4000])
        raise


def requeue_stale_events():
    """Send again every event left pending or failed for longer than REQUEUE_STALE_AFTER_SECONDS
    (a lost enqueue, a broker outage, retries used up), up to MAX_ATTEMPTS tries; and every
    refund left pending and never created at the gateway (its task was lost). Returns counts."""
    cutoff = timezone.now() - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    event_ids = list(
        StripeEvent.objects.filter(
            status__in=[StripeEvent.Status.PENDING, StripeEvent.Status.FAILED],
            received_at__lt=cutoff,
            attempts__lt=MAX_ATTEMPTS,
        )
        .order_by("received_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for event_id in event_ids:
        enqueue.send_now("bookings.process_stripe_event", event_id)
    booking_ids = list(
        Booking.objects.filter(
            refund_status=Booking.RefundStatus.PENDING, stripe_refund_id="", updated_at__lt=cutoff
        ).values_list("id", flat=True)[:SWEEP_BATCH]
    )
    for booking_id in booking_ids:
        enqueue.send_now("bookings.refund_booking", str(booking_id))
    return {"events": len(event_ids), "refunds": len(booking_ids)}


def _as_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _id_of(value):
    """An id field of a Stripe object, expanded (a dict) or not (a string)."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _lock_booking_of_session(session):
    """The booking of a Checkout Session, locked: by the session id that checkout stored,
    else by metadata.booking_id (the webhook may beat checkout's own write)."""
    session_id = session.get("id")
    booking_id = (
        Booking.objects.filter(checkout_session_id=session_id).values_list("pk", flat=True).first()
        if session_id
        else None
    )
    if booking_id is None:
        wanted = _as_uuid((session.get("metadata") or {}).get("booking_id")) or _as_uuid(
            session.get("client_reference_id")
        )
        booking_id = Booking.objects.filter(pk=wanted).values_list("pk", flat=True).first() if wanted else None
    return locking.lock_booking_for_payment(booking_id) if booking_id else None


def _for_session_booking(handle):
    """Lock the booking of the event's Checkout Session and link the event to it before
    `handle(event, session, booking)`; an event for no booking of ours is ignored."""

    @functools.wraps(handle)
    def handler(event, session):
        booking = _lock_booking_of_session(session)
        if booking is None:
            return StripeEvent.Status.IGNORED, f"No booking for session {session.get('id')}."
        event.booking = booking
        return handle(event, session, booking)

    return handler


@_for_session_booking
def _on_session_completed(event, session, booking):
    if session.get("payment_status") != "paid":
        return StripeEvent.Status.PROCESSED, "Completed but not paid yet: waiting for the asynchronous payment."
    return _record_payment(booking, session)


@_for_session_booking
def _on_async_payment_succeeded(event, session, booking):
    return _record_payment(booking, session)


@_for_session_booking
def _on_session_closed_unpaid(event, session, booking):
    """async_payment_failed or expired: a pending booking of this session lets its seats go."""
    if booking.status != Booking.Status.PENDING or booking.amount_paid_minor is not None:
        return StripeEvent.Status.PROCESSED, f"Booking is {booking.status}: nothing to release."
    if booking.checkout_session_id and booking.checkout_session_id != session.get("id"):
        return StripeEvent.Status.PROCESSED, "Not the booking's current session: nothing to release."
    booking.payment_failed = event.type == "checkout.session.async_payment_failed"
    release_seats(booking, Booking.Status.EXPIRED)
    return StripeEvent.Status.PROCESSED, f"{event.type}: seats released."


def _on_charge_refunded(event, charge):
    payment_intent_id = _id_of(charge.get("payment_intent"))
    booking_id = (
        Booking.objects.filter(payment_intent_id=payment_intent_id).values_list("pk", flat=True).first()
        if payment_intent_id
        else None
    )
    booking = locking.lock_booking_for_payment(booking_id) if booking_id else None
    if booking is None:
        return StripeEvent.Status.IGNORED, f"No booking for payment {payment_intent_id or '?'}."
    event.booking = booking
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    refund_id = refunds[0].get("id", "") if refunds else ""
    if booking.refund_status == Booking.RefundStatus.SUCCEEDED:
        if refund_id and not booking.stripe_refund_id:
            booking.stripe_refund_id = refund_id
            booking.save(update_fields=["stripe_refund_id", "updated_at"])
        return StripeEvent.Status.PROCESSED, "Refund already recorded."
    if booking.refund_status == Booking.RefundStatus.NONE:
        booking.payment_issue = _append(booking.payment_issue, "Refunded outside this site (Stripe dashboard).")
    if booking.refund_amount is None and (charge.get("currency") or "").lower() == booking.currency:
        booking.refund_amount = from_minor_units(charge.get("amount_refunded") or 0, booking.currency)
    booking.refund_status = Booking.RefundStatus.SUCCEEDED
    booking.refund_error = ""
    booking.stripe_refund_id = refund_id or booking.stripe_refund_id
    booking.save()
    return StripeEvent.Status.PROCESSED, "Refund recorded."


def _on_refund_updated(event, refund):
    """A refund Stripe reported `pending` ends: succeeded, or failed (shown to staff, retryable)."""
    refund_id = refund.get("id") or ""
    booking_id = (
        Booking.objects.filter(stripe_refund_id=refund_id).values_list("pk", flat=True).first() if refund_id else None
    )
    booking = locking.lock_booking_for_payment(booking_id) if booking_id else None
    if booking is None:
        return StripeEvent.Status.IGNORED, f"No booking for refund {refund_id or '?'}."
    event.booking = booking
    status = refund.get("status")
    if booking.refund_status != Booking.RefundStatus.PENDING:
        return StripeEvent.Status.PROCESSED, f"Refund already {booking.refund_status}."
    if status == "succeeded":
        booking.refund_status = Booking.RefundStatus.SUCCEEDED
    elif status in ("failed", "canceled"):
        booking.refund_status = Booking.RefundStatus.FAILED
        booking.refund_error = f"Stripe reported the refund {refund_id} as {status} ({refund.get('failure_reason') or 'no reason given'})."
    else:
        return StripeEvent.Status.PROCESSED, f"Refund is {status}: still waiting."
    booking.save(update_fields=["refund_status", "refund_error", "updated_at"])
    return StripeEvent.Status.PROCESSED, f"Refund {status}."


HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_async_payment_succeeded,
    "checkout.session.async_payment_failed": _on_session_closed_unpaid,
    "checkout.session.expired": _on_session_closed_unpaid,
    "charge.refunded": _on_charge_refunded,
    "refund.updated": _on_refund_updated,
    "refund.failed": _on_refund_updated,
    "charge.refund.updated": _on_refund_updated,
}


# --- the payment transition ----------------------------------------------------------------


def _append(text, line):
    return f"{text}\n{line}".strip()


def release_seats(booking, status):
    """Let the booking's seats go and end it with `status` (under its row lock)."""
    now = timezone.now()
    expiry.release_seats([booking.pk])
    booking.status = status
    if status == Booking.Status.EXPIRED:
        booking.expired_at = now
    booking.save()


def _take_seats(booking):
    """Make the booking's seats sold (active, no expiry). False when someone else has one.

    Seats still held by the booking are simply kept; seats it lost (the hold lapsed and was
    released) are taken again by re-activating its rows inside a savepoint, where the unique
    index over active (showtime, seat) rows says whether another booking got there first."""
    rows = locking.lock_booking_seats(booking.booking_seats.all())
    if not rows:
        return False
    held = {row.seat_id for row in rows if row.active}
    lost = {}
    for row in rows:
        if row.seat_id not in held:
            lost.setdefault(row.seat_id, row.pk)  # its newest row
    try:
        with transaction.atomic():
            if lost:
                BookingSeat.objects.filter(pk__in=lost.values()).update(active=True, expires_at=None)
            booking.booking_seats.filter(active=True).update(expires_at=None)
    except IntegrityError:
        return False
    return True


def _record_payment(booking, session):
    """The heart of it: payment for `booking` (locked) arrived. Exactly one of: paid; paid
    late with its seats taken again; refunded (amount mismatch, seats gone, cancelled)."""
    if booking.amount_paid_minor is not None or booking.status == Booking.Status.PAID:
        return StripeEvent.Status.PROCESSED, "Payment already recorded for this booking."
    now = timezone.now()
    amount = session.get("amount_total")
    currency = (session.get("currency") or "").lower()
    booking.amount_paid_minor = amount if isinstance(amount, int) else None
    booking.payment_intent_id = _id_of(session.get("payment_intent"))[:255]
    if not booking.checkout_session_id and session.get("id"):
        booking.checkout_session_id = session["id"]

    expected = to_minor_units(booking.total, booking.currency)
    if currency != booking.currency or amount != expected:
        booking.amount_paid_minor = amount if isinstance(amount, int) else 0
        booking.payment_issue = _append(
            booking.payment_issue,
            f"Amount mismatch: Stripe took {amount} {currency or '?'} (minor units), the booking costs "
            f"{expected} {booking.currency}. Not marked paid; refunded in full.",
        )
        same_currency = currency == booking.currency and isinstance(amount, int)
        request_refund(booking, from_minor_units(amount, currency) if same_currency else None)
        booking.save()
        return StripeEvent.Status.PROCESSED, "Amount mismatch: refunding."

    hold_lapsed = booking.status != Booking.Status.PENDING or booking.is_lapsed(now)
    if booking.status in (Booking.Status.PENDING, Booking.Status.EXPIRED) and _take_seats(booking):
        booking.status = Booking.Status.PAID
        booking.paid_at = now
        if hold_lapsed:
            booking.late_payment = Booking.LatePayment.KEPT
            booking.payment_issue = _append(
                booking.payment_issue, "Paid after the hold ended; the seats were still free and were taken again."
            )
        booking.save()
        tickets.issue_tickets(booking)
        waitlist.record_paid(booking)
        emails.queue_booking_confirmation(booking)
        if hold_lapsed:
            emails.queue_late_payment_outcome(booking)
        return StripeEvent.Status.PROCESSED, "Paid (late, seats taken again)." if hold_lapsed else "Paid."

    reason = (
        "the booking had been cancelled"
        if booking.status == Booking.Status.CANCELLED
        else "its seats had been taken by someone else"
    )
    booking.late_payment = Booking.LatePayment.REFUNDED
    booking.payment_issue = _append(booking.payment_issue, f"Paid after {reason}; refunded in full.")
    request_refund(booking, booking.total)
    if booking.status == Booking.Status.PENDING:
        release_seats(booking, Booking.Status.EXPIRED)
    else:
        booking.save()
    emails.queue_late_payment_outcome(booking)
    return StripeEvent.Status.PROCESSED, f"Late payment refunded: {reason}."
