"""Fixtures of the booking-core tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.holds import services as hold_services
from bookings.models import Booking
from tests.factories import ShowtimeFactory


@pytest.fixture
def seat_ids(showtime):
    """The showtime's seat ids in row order (A1, A2, …)."""
    return list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))


@pytest.fixture
def hold():
    """hold(user, showtime, seat_ids) -> a pending booking through the service."""
    return hold_services.hold_seats


@pytest.fixture
def make_paid():
    """make_paid(booking): what the payments code will do — paid, seats sold (no expiry)."""

    def pay(booking):
        booking.status = Booking.Status.PAID
        booking.paid_at = timezone.now()
        booking.save()
        booking.booking_seats.update(expires_at=None)
        return booking

    return pay


@pytest.fixture
def future_showtime(db):
    def make(hours, **kwargs):
        return ShowtimeFactory(starts_at=timezone.now() + timedelta(hours=hours), **kwargs)

    return make

