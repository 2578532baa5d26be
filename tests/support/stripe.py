"""Stripe as the tests meet it: events shaped like Stripe's and signed the way Stripe signs them."""

import hashlib
import hmac
import json
import secrets
import time

from django.conf import settings

from bookings.payments import stripe_events
from core.money import to_minor_units

WEBHOOK = "/api/v1/webhooks/stripe/"
STRIPE = "https://api.stripe.com"


def sign(payload, secret=None, timestamp=None):
    """A `Stripe-Signature` header computed by hand (HMAC-SHA256 over "t.body"), as Stripe does."""
    secret = secret or settings.STRIPE_WEBHOOK_SECRET
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def make_event(event_type, obj, event_id=None):
    return {
        "id": event_id or f"evt_{secrets.token_hex(10)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def session_of(booking, **overrides):
    """The `checkout.session` object Stripe would send for `booking`, paid in full."""
    session = {
        "id": booking.checkout_session_id or f"cs_test_{booking.pk.hex}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": None if "amount_total" in overrides else to_minor_units(booking.total, booking.currency),
        "currency": booking.currency,
        "client_reference_id": str(booking.pk),
        "metadata": {"booking_id": str(booking.pk)},
        "payment_intent": f"pi_{booking.pk.hex[:20]}",
    }
    session.update(overrides)
    return session


def deliver(client, event, secret=None, timestamp=None, header=None):
    """POST a Stripe event to the webhook with a signature header."""
    payload = json.dumps(event)
    signature = header if header is not None else sign(payload, secret, timestamp)
    extra = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return client.post(WEBHOOK, data=payload, content_type="application/json", **extra)


def store_and_process(event):
    """The webhook's service then the task's service, in-process (what the worker would do)."""
    payload = json.dumps(event)
    event_id, _ = stripe_events.receive_event(payload.encode(), sign(payload))
    return stripe_events.process_event(event_id)
