"""Races on PostgreSQL with real concurrent connections: one thread, one connection, one client each."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from rest_framework.test import APIClient

from bookings.models import Booking, BookingSeat
from cinema.models import Showtime
from tests.factories import (
    AuditoriumFactory,
    MovieFactory,
    ShowtimeFactory,
    StaffFactory,
    UserFactory,
)
from tests.support.race import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 30


def run_as_clients(requests):
    """Each `request(client)` with its own authenticated client, all at once; the responses (or
    the exceptions raised) in order."""

    def as_user(user, call):
        def run():
            client = APIClient()
            client.force_authenticate(user)
            return call(client)

        return run

    return run_at_once([as_user(user, call) for user, call in requests]).results


def test_thirty_clients_racing_for_the_same_and_overlapping_seats():
    """Given 30 users, 10 wanting exactly {A1, A2} and 20 wanting overlapping pairs/triples, when all
    post at once, then each seat has at most one winner, the contested pair exactly one, only 201
    and 409 come back, every 409 names seats a winner holds, and the DB has no seat twice."""
    showtime = ShowtimeFactory(auditorium=AuditoriumFactory(rows=2, seats_per_row=10))
    seats = list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))
    wanted = [[seats[0], seats[1]] for _ in range(10)]
    wanted += [[seats[2 + i % 6], seats[3 + i % 6]] for i in range(10)]
    wanted += [[seats[1 + i % 8], seats[4 + i % 8], seats[9 + i % 8]] for i in range(10)]
    users = [UserFactory() for _ in range(THREADS)]

    def hold(ids):
        return lambda client: client.post("/api/v1/bookings/", {"showtime": showtime.pk, "seats": ids}, format="json")

    responses = run_as_clients([(u, hold(ids)) for u, ids in zip(users, wanted)])

    errors = [r for r in responses if isinstance(r, Exception)]
    assert not errors, errors
    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {201, 409}, codes
    winners = [(ids, r.json()) for ids, r in zip(wanted, responses) if r.status_code == 201]
    won_seats = [s["id"] for _, body in winners for s in body["seats"]]
    assert len(won_seats) == len(set(won_seats)), "a seat was sold twice"
    assert sum(1 for ids, _ in winners if ids == [seats[0], seats[1]]) <= 1
    assert seats[0] in won_seats or seats[1] in won_seats  # the contested pair went to someone
    for ids, r in zip(wanted, responses):
        if r.status_code == 409:
            body = r.json()
            assert body["code"] == "seats_unavailable"
            assert body["seats"] and set(body["seats"]) <= set(ids) & set(won_seats)

    active = BookingSeat.objects.filter(showtime=showtime, active=True)
    assert not active.values("seat").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert sorted(active.values_list("seat_id", flat=True)) == sorted(won_seats)
    assert Booking.objects.filter(showtime=showtime).count() == len(winners)


def test_thirty_clients_racing_for_one_seat_exactly_one_wins():
    showtime = ShowtimeFactory()
    seat = showtime.auditorium.seats.order_by("pk").first().pk
    users = [UserFactory() for _ in range(THREADS)]

    responses = run_as_clients(
        [(u, lambda c: c.post("/api/v1/bookings/", {"showtime": showtime.pk, "seats": [seat]}, format="json")) for u in users]
    )

    codes = Counter(getattr(r, "status_code", repr(r)) for r in responses)
    assert codes == {201: 1, 409: THREADS - 1}
    assert all(r.json()["seats"] == [seat] for r in responses if r.status_code == 409)
    assert BookingSeat.objects.filter(showtime=showtime, seat_id=seat, active=True).count() == 1


def test_a_hold_committed_while_another_waits_for_the_seat_lock_is_refused_by_the_index(monkeypatch):
    """Given a transaction that holds seat A1's lock and holds A1, when a second hold request waits
    for that lock and goes on after the commit, its locking read's snapshot predates the commit
    (it sees A1 free), so the partial unique index refuses its insert: a 409 naming A1, no 500,
    nothing half-written."""
    from django.db import IntegrityError, connections, transaction

    from bookings.holds import services as hold_services
    from cinema.models import Seat

    showtime = ShowtimeFactory()
    seat = showtime.auditorium.seats.order_by("pk").first().pk
    first, second = UserFactory(), UserFactory()
    refused_by_index = []
    real_insert = hold_services._insert

    def recording_insert(*batches):
        try:
            return real_insert(*batches)
        except IntegrityError:
            refused_by_index.append(threading.current_thread().name)
            raise

    monkeypatch.setattr(hold_services, "_insert", recording_insert)
    locked, result = threading.Event(), {}

    def lock_then_hold():
        try:
            with transaction.atomic():
                list(Seat.objects.select_for_update().filter(pk=seat))
                locked.set()
                with connection.cursor() as cursor:  # until the request waits on A1's lock
                    for _ in range(2000):
                        cursor.execute(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                        )
                        if cursor.fetchone()[0]:
                            break
                        threading.Event().wait(0.01)
                result["first"] = hold_services.hold_seats(first, showtime, [seat])
        finally:
            connections.close_all()

    holder = threading.Thread(target=lock_then_hold)
    holder.start()
    assert locked.wait(30)
    client = APIClient()
    client.force_authenticate(second)
    response = client.post("/api/v1/bookings/", {"showtime": showtime.pk, "seats": [seat]}, format="json")
    holder.join(30)

    assert result["first"].status == "pending"
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "seats_unavailable" and response.json()["seats"] == [seat]
    assert refused_by_index == ["MainThread"]  # the constraint, not the read, refused it
    assert Booking.objects.filter(showtime=showtime).count() == 1
    assert BookingSeat.objects.filter(showtime=showtime, active=True).count() == 1


def test_staff_racing_to_schedule_the_same_slot_get_one_showtime():
    movie, auditorium = MovieFactory(), AuditoriumFactory(rows=1, seats_per_row=1)
    staff = [StaffFactory() for _ in range(8)]
    starts = timezone.now() + timedelta(days=3)
    # Staggered starts, all overlapping each other: only one may exist.
    bodies = [
        {"movie": movie.pk, "auditorium": auditorium.pk, "starts_at": (starts + timedelta(minutes=i)).isoformat(), "price": "9.50"}
        for i in range(len(staff))
    ]

    responses = run_as_clients(
        [(u, (lambda b: lambda c: c.post("/api/v1/showtimes/", b, format="json"))(b)) for u, b in zip(staff, bodies)]
    )

    codes = Counter(getattr(r, "status_code", repr(r)) for r in responses)
    assert codes == {201: 1, 400: len(staff) - 1}
    assert Showtime.objects.filter(auditorium=auditorium).count() == 1
