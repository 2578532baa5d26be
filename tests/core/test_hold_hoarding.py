"""Issue 10, finding 1 (hold hoarding): one user's concurrent holds on one showtime cannot beat
MAX_PENDING_HOLDS_PER_SHOWTIME. PostgreSQL, real concurrent connections."""

import pytest
from django.db import connection, transaction

from bookings import locking
from bookings.exceptions import TooManyHolds
from bookings.holds import services as hold_services
from bookings.models import Booking
from tests.factories import ShowtimeFactory, UserFactory
from tests.support.race import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_concurrent_holds_by_one_user_on_one_showtime_get_exactly_two(settings):
    """Given the cap of 2, when one user sends five holds of different seats at the same instant,
    then exactly two are held and three refused with too_many_holds."""
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 2
    showtime, user = ShowtimeFactory(), UserFactory()
    seats = list(showtime.auditorium.seats.order_by("pk").values_list("pk", flat=True)[:5])

    race = run_at_once([lambda seat=seat: hold_services.hold_seats(user, showtime.pk, [seat]) for seat in seats])

    held = [r for r in race.results if isinstance(r, Booking)]
    refused = [r for r in race.results if isinstance(r, TooManyHolds)]
    assert len(held) == 2 and len(refused) == 3, race.results
    assert Booking.objects.filter(user=user, showtime=showtime, status="pending").count() == 2


def test_other_users_and_other_showtimes_are_not_serialised_with_it(settings):
    """The lock is per (user, showtime): two users, or one user on two showtimes, each get their cap."""
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 1
    first, second = ShowtimeFactory(), ShowtimeFactory()
    ann, bob = UserFactory(), UserFactory()
    seat_a = first.auditorium.seats.order_by("pk").values_list("pk", flat=True)
    seat_b = second.auditorium.seats.order_by("pk").values_list("pk", flat=True)

    race = run_at_once([
        lambda: hold_services.hold_seats(ann, first.pk, [seat_a[0]]),
        lambda: hold_services.hold_seats(bob, first.pk, [seat_a[1]]),
        lambda: hold_services.hold_seats(ann, second.pk, [seat_b[0]]),
    ])

    assert race.errors == []
    assert Booking.objects.filter(status="pending").count() == 3


def test_locks_refuse_to_run_outside_a_transaction():
    with pytest.raises(locking.NotInTransaction):
        locking.lock_user_showtime(1, 1)
    with pytest.raises(locking.NotInTransaction):
        locking.lock_bookings(Booking.objects.all())


def test_a_lock_wait_has_a_timeout():
    """Inside the transaction, the lock order sets PostgreSQL's lock_timeout for that transaction only."""
    with transaction.atomic():
        locking.lock_bookings(Booking.objects.none())
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == f"{locking.LOCK_TIMEOUT_MS // 1000}s"
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "0"
