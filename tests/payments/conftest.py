"""Fixtures of the payments tests: holds made through the booking core, Stripe events signed
the way Stripe signs them, and Stripe's HTTP API mocked at its boundary with `responses`."""

import json
import secrets
import threading
import time

import pytest
import responses
from django.conf import settings
from django.db import connection

from bookings import services, stripe_events
from bookings.models import Booking
from bookings.payments import to_minor_units

WEBHOOK = "/api/v1/webhooks/stripe/"
CHECKIN = "/api/v1/checkin/"
STRIPE = "https://api.stripe.com"


def booking_url(booking, action=""):
    return f"/api/v1/bookings/{booking.pk}/" + (f"{action}/" if action else "")


def sign(payload, secret=None, timestamp=None):
    """A `Stripe-Signature` header computed by hand (HMAC-SHA256 over "t.body"), as Stripe does."""
    import hashlib
    import hmac

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


def run_in_threads(target, count):
    """Run target(i) in `count` threads released together, each on its own DB connection."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def work(i):
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


@pytest.fixture
def seat_ids(showtime):
    return list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))


@pytest.fixture
def hold(seat_ids):
    """hold(user, showtime, n=2, start=0) -> a pending booking through the booking core."""

    def make(user, showtime, n=2, start=0):
        ids = list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))
        return services.hold_seats(user, showtime, ids[start : start + n])

    return make


@pytest.fixture
def pending_booking(hold, user, showtime):
    return hold(user, showtime)


@pytest.fixture
def pay():
    """pay(booking) -> the booking after a signed checkout.session.completed was stored and processed."""

    def do(booking, **overrides):
        store_and_process(make_event("checkout.session.completed", session_of(booking, **overrides)))
        return Booking.objects.get(pk=booking.pk)

    return do


@pytest.fixture
def paid_booking(pending_booking, pay):
    return pay(pending_booking)


@pytest.fixture
def stripe_gateway(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_payments"
    settings.STRIPE_API_BASE = ""
    return settings


@pytest.fixture
def stripe_api():
    """Stripe's HTTP API, mocked at the HTTP boundary (nothing of ours is patched)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
