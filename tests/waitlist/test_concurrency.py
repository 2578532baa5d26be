"""The waitlist under concurrency, on PostgreSQL with real concurrent connections."""

from collections import Counter

import pytest
from django.db.models import Count
from rest_framework.test import APIClient

from bookings.holds import services as holds
from bookings.models import Booking, BookingSeat, WaitlistEntry
from bookings.waitlist import services as waitlist
from notifications.models import EmailMessage
from tests.factories import UserFactory

from tests.support.race import run_at_once

from .support import JOIN, free_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Status = WaitlistEntry.Status


def no_seat_twice(showtime):
    active = BookingSeat.objects.filter(showtime=showtime, active=True)
    return not active.values("seat").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_four_workers_offering_at_once_offer_nothing_twice(hall, seats, sold_out, join):
    """Given 10 free seats and 4 entries of 2 (more seats than wishes: a run that did not wait for
    the others would find seats left for entries already offered), when four offer runs start at
    the same instant, then each entry has exactly one offer, 8 seats are held, 2 stay free."""
    bookings = sold_out()
    entries = [join(hall, 2) for _ in range(4)]
    free_up(*bookings)
    results, errors = run_at_once([lambda: waitlist.offer_free_seats(hall.pk) for _ in range(4)])

    assert not errors, errors
    assert sum(results) == 4  # the runs take turns, one offer per transaction
    for entry in entries:
        entry.refresh_from_db()
        assert entry.status == Status.OFFERED
    waitlisted = Booking.objects.filter(showtime=hall, user__in=[e.user for e in entries])
    assert waitlisted.count() == 4, "an entry was offered seats twice"
    assert BookingSeat.objects.filter(showtime=hall, active=True).count() == 8
    assert no_seat_twice(hall)


def test_offers_and_thirty_walk_up_holds_at_the_same_instant_never_share_a_seat(hall, seats, sold_out, join):
    """Given 10 freed seats and 5 entries of 2, when the offer run and 30 walk-up clients (each
    after one seat) go at once, then no seat is in two active bookings, the walk-ups get only
    201 or 409, and every offer holds its own seats (all active)."""
    bookings = sold_out()
    entries = [join(hall, 2) for _ in range(5)]
    free_up(*bookings)
    walkers = [UserFactory() for _ in range(30)]

    def walk_up(user, seat):
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/v1/bookings/", {"showtime": hall.pk, "seats": [seat]}, format="json").status_code

    calls = [lambda: waitlist.offer_free_seats(hall.pk)]
    calls += [lambda u=u, s=seats[i % 10]: walk_up(u, s) for i, u in enumerate(walkers)]
    results, errors = run_at_once(calls)

    assert not errors, errors
    codes = Counter(results[1:])
    assert set(codes) <= {201, 409}, codes
    assert no_seat_twice(hall)
    offered = [e for e in WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]) if e.status == Status.OFFERED]
    assert results[0] == len(offered)
    offered_seats = [s for e in offered for s in e.booking.booking_seats.filter(active=True).values_list("seat_id", flat=True)]
    assert len(offered_seats) == 2 * len(offered)
    assert codes[201] + len(offered_seats) <= 10
    assert BookingSeat.objects.filter(showtime=hall, active=True).count() == codes[201] + len(offered_seats)


def test_ten_joins_of_one_user_at_once_make_one_entry(hall, sold_out, user):
    sold_out()

    def post():
        client = APIClient()
        client.force_authenticate(user)
        return client.post(JOIN.format(hall.pk), {"quantity": 1}, format="json")

    responses, errors = run_at_once([post for _ in range(10)])
    assert not errors, errors

    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_waiting"}
    assert WaitlistEntry.objects.filter(user=user).count() == 1


def test_leaving_while_the_offer_runs_ends_with_no_seat_held_for_someone_who_left(hall, seats, sold_out, join):
    """Given 2 freed seats and two entries of 2, when the first leaves at the instant the offer
    runs, then whatever the order, after the follow-up run (the task leave enqueues) the first
    holds nothing and the seats are offered to the second."""
    bookings = sold_out()
    first, second = join(hall, 2), join(hall, 2)
    free_up(bookings[0])

    _, errors = run_at_once([lambda: waitlist.offer_free_seats(hall.pk), lambda: waitlist.leave(first.user, first.pk)])
    assert not errors, errors
    waitlist.offer_free_seats(hall.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.LEFT
    assert not BookingSeat.objects.filter(booking__user=first.user, active=True).exists()
    assert second.status == Status.OFFERED
    assert no_seat_twice(hall)


def test_an_entry_that_leaves_while_its_offer_is_made_gets_nothing_and_the_next_one_does(
    hall, seats, sold_out, join, monkeypatch
):
    """Given the offer run read two waiting entries, when the first leaves on another connection
    (committed) just as its seats are being held, the claim of the entry finds it left: its hold
    is rolled back, it stays left without a booking, and A1-A2 go to the second entry."""
    bookings = sold_out()
    first, second = join(hall, 2), join(hall, 2)
    free_up(bookings[0])
    real_hold = holds.hold_seats

    def leave_then_hold(user, *args, **kwargs):
        if user == first.user:  # the user leaves from another connection at this instant
            _, errors = run_at_once([lambda: waitlist.leave(first.user, first.pk)])
            assert not errors, errors
        return real_hold(user, *args, **kwargs)

    monkeypatch.setattr(holds, "hold_seats", leave_then_hold)
    assert waitlist.offer_free_seats(hall.pk) == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.LEFT and first.booking is None
    assert not Booking.objects.filter(user=first.user).exists()
    assert second.status == Status.OFFERED
    assert sorted(second.booking.booking_seats.values_list("seat_id", flat=True)) == seats[0:2]
    assert EmailMessage.objects.filter(kind="waitlist_offer").count() == 1
