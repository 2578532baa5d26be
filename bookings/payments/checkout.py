"""Checkout: open a payment session for a pending booking, and the local gateway's Pay step."""

import json
import secrets
import time

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings import enqueue, locking
from bookings.exceptions import CheckoutRefused
from bookings.models import Booking
from bookings.payments import stripe_events
from bookings.payments.gateways import get_gateway, to_minor_units


def ensure_payable(booking, now=None):
    now = now or timezone.now()
    if booking.status != Booking.Status.PENDING:
        raise CheckoutRefused(f"This booking is {booking.status}; only a pending booking can be paid.", code="not_pending")
    if booking.is_lapsed(now):
        raise CheckoutRefused("The hold on these seats has ended; book them again.", code="hold_expired")


def start_checkout(booking):
    """A Checkout Session for `booking` (the same one when asked twice), its id stored on the
    booking. The gateway is called outside any transaction (no row lock held over the network);
    a booking that stopped being pending meanwhile gets its new session closed again."""
    ensure_payable(booking)
    session = get_gateway().create_checkout_session(booking)  # GatewayError -> 503
    with transaction.atomic():
        locked = locking.lock_booking(booking.pk)
        if locked.checkout_session_id != session.id:
            locked.checkout_session_id = session.id
            locked.save(update_fields=["checkout_session_id", "updated_at"])
        try:
            ensure_payable(locked)
            refused = None
        except CheckoutRefused as exc:
            refused = exc
            enqueue.send_on_commit("bookings.expire_stripe_session", str(locked.pk))
    if refused is not None:
        raise refused
    booking.checkout_session_id = session.id
    return session


def sign_stripe_payload(payload, secret, timestamp=None):
    """The `Stripe-Signature` header Stripe would send: t=<unix>,v1=<HMAC-SHA256 of "t.body">."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def local_payment_event(booking, session_id):
    """The `checkout.session.completed` event Stripe would send for a paid session (raw JSON)."""
    event = {
        "id": f"evt_local_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": stripe.api_version,
        "created": int(time.time()),
        "livemode": False,
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "complete",
                "payment_status": "paid",
                "amount_total": to_minor_units(booking.total, booking.currency),
                "currency": booking.currency,
                "client_reference_id": str(booking.id),
                "metadata": {"booking_id": str(booking.id), "reference": booking.reference},
                "payment_intent": f"pi_local_{secrets.token_hex(12)}",
            }
        },
    }
    return json.dumps(event, separators=(",", ":"))


def pay_locally(booking, session_id):
    """The local gateway's Pay button: deliver a signed `checkout.session.completed` through
    the webhook's own verification and storage path, then process it at once so that the
    page the customer returns to already shows the booking paid (the queued task, when it
    runs, finds the event processed and does nothing)."""
    payload = local_payment_event(booking, session_id)
    header = sign_stripe_payload(payload, settings.STRIPE_WEBHOOK_SECRET)
    event_id, _ = stripe_events.receive_event(payload.encode(), header)
    stripe_events.process_event(event_id)
    return event_id
