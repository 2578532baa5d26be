"""Fixtures of the waitlist tests: a small showtime sold out through the hold service, and
waitlist entries joined through the service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.waitlist import services as waitlist
from tests.factories import AuditoriumFactory, ShowtimeFactory, UserFactory

from .support import free_up, seat_ids_of, take


@pytest.fixture
def hall(db):
    """A showtime tomorrow in 2 rows of 5 seats: A1-A5, B1-B5."""
    return ShowtimeFactory(
        auditorium=AuditoriumFactory(rows=2, seats_per_row=5), starts_at=timezone.now() + timedelta(days=1)
    )


@pytest.fixture
def seats(hall):
    return seat_ids_of(hall)


@pytest.fixture
def sold_out(hall, seats):
    """sold_out(pending=()) takes every seat: five bookings of two seats (A1-A2, A3-A4, A5-B1,
    B2-B3, B4-B5) by five users, paid except those whose index is in `pending`."""

    def sell(pending=()):
        return [take(hall, seats[i : i + 2], paid=n not in pending) for n, i in enumerate(range(0, 10, 2))]

    return sell


@pytest.fixture
def join():
    """join(showtime, quantity=1, user=None) -> a waiting entry of a fresh (or the given) user."""

    def make(showtime, quantity=1, user=None):
        return waitlist.join(user or UserFactory(), showtime.pk, quantity)

    return make


@pytest.fixture
def offered(hall, sold_out, join):
    """offered(user=None, behind=0): on the sold-out hall an entry for 2 seats (of `user`), then
    `behind` more entries for 2; A1-A2 come free and the offer runs. Returns the entries,
    refreshed: the first offered A1-A2, the others waiting."""

    def make(user=None, behind=0):
        bookings = sold_out()
        entries = [join(hall, 2, user=user)] + [join(hall, 2) for _ in range(behind)]
        free_up(bookings[0])
        waitlist.offer_free_seats(hall.pk)
        for entry in entries:
            entry.refresh_from_db()
        return entries

    return make
