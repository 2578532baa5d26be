"""A provider deletion releases the user's pending holds (through bookings) and keeps their bookings."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ClerkEvent, User
from bookings.models import Booking, BookingSeat
from bookings.holds.services import hold_seats

from tests.support.clerk import user_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider_user(deliver):
    deliver(user_event("user.created", "user_1", email="ada@example.com"))
    return User.objects.get(clerk_id="user_1")


def paid_booking(user, showtime, seat):
    booking = Booking.objects.create(
        user=user,
        showtime=showtime,
        status=Booking.Status.PAID,
        expires_at=timezone.now() + timedelta(minutes=10),
        paid_at=timezone.now(),
        total=showtime.price,
        currency=showtime.currency,
    )
    BookingSeat.objects.create(booking=booking, showtime=showtime, seat=seat, price=showtime.price, expires_at=None)
    return booking


def test_deletion_releases_the_pending_hold_and_keeps_the_bookings(deliver, provider_user, showtime):
    seats = list(showtime.auditorium.seats.order_by("pk")[:3])
    held = hold_seats(provider_user, showtime, [seats[0].pk, seats[1].pk])
    paid = paid_booking(provider_user, showtime, seats[2])

    event = deliver(user_event("user.deleted", "user_1"))

    assert event.status == ClerkEvent.Status.PROCESSED, event.last_error
    held.refresh_from_db()
    paid.refresh_from_db()
    # The hold ended and its seats are free for others; the row stays, still the deleted user's.
    assert held.status != Booking.Status.PENDING
    assert held.user_id == provider_user.pk
    assert not BookingSeat.objects.filter(booking=held, active=True).exists()
    # A paid booking is kept, seat and all, for the accounts.
    assert paid.status == Booking.Status.PAID
    assert BookingSeat.objects.filter(booking=paid, active=True).count() == 1
    assert Booking.objects.filter(user=provider_user).count() == 2


def test_the_released_seats_can_be_held_by_someone_else(deliver, provider_user, other_user, showtime):
    seat = showtime.auditorium.seats.order_by("pk").first()
    hold_seats(provider_user, showtime, [seat.pk])

    deliver(user_event("user.deleted", "user_1"))

    booking = hold_seats(other_user, showtime, [seat.pk])
    assert booking.status == Booking.Status.PENDING
