"""Fixtures of the payments tests: holds made through the booking core, Stripe events signed
the way Stripe signs them, and Stripe's HTTP API mocked at its boundary with `responses`."""

import pytest
import responses

from bookings.holds import services as hold_services
from bookings.models import Booking
from tests.support.stripe import make_event, session_of, store_and_process


@pytest.fixture
def seat_ids(showtime):
    return list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))


@pytest.fixture
def hold(seat_ids):
    """hold(user, showtime, n=2, start=0) -> a pending booking through the booking core."""

    def make(user, showtime, n=2, start=0):
        ids = list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))
        return hold_services.hold_seats(user, showtime, ids[start : start + n])

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
