"""Best available under contention, on PostgreSQL with real concurrent connections."""

from collections import Counter

import pytest
from rest_framework.test import APIClient

from bookings.models import BookingSeat
from cinema.services import create_auditorium
from tests.factories import ShowtimeFactory, UserFactory
from tests.support.race import run_at_once
from tests.support.urls import HOLDS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 50


def test_fifty_clients_asking_for_the_best_seats_at_once_never_share_a_seat():
    """Given a 6 x 10 hall with an aisle and two wheelchair spaces, when 50 users each ask for
    the best 2 seats at once, then every answer is a 201 or a 409 no_adjacent_seats, no seat is
    held twice, every hold is two seats side by side in one row, and none is accessible."""
    layout = {"rows": [
        {"label": chr(65 + r), "seats": [
            *([{"number": 1, "kind": "wheelchair"}, {"number": 2, "kind": "companion"}] if r == 0 else [1, 2]),
            3, 4, None, 5, 6, 7, 8, 9, 10]}
        for r in range(6)
    ]}
    showtime = ShowtimeFactory(auditorium=create_auditorium(name="Race hall", layout=layout))
    users = [UserFactory() for _ in range(CLIENTS)]

    def ask(user):
        def run():
            client = APIClient()
            client.force_authenticate(user)
            return client.post(HOLDS, {"showtime": showtime.pk, "quantity": 2}, format="json")

        return run

    race = run_at_once([ask(u) for u in users])

    assert race.errors == []
    codes = Counter(r.status_code for r in race.results)
    assert set(codes) <= {201, 409}, codes
    assert all(r.json()["code"] == "no_adjacent_seats" for r in race.results if r.status_code == 409)
    taken = list(BookingSeat.objects.filter(showtime=showtime, active=True).values_list("seat_id", flat=True))
    assert len(taken) == len(set(taken))  # no seat twice
    granted = [r.json()["seats"] for r in race.results if r.status_code == 201]
    assert sorted(s["id"] for seats in granted for s in seats) == sorted(taken)
    # 58 ordinary seats in runs of 2, 4 and 6: 27 pairs fit, and each of the 50 got one or a 409.
    assert codes[201] >= 25
    places = {s.pk: s for s in showtime.auditorium.seats.all()}
    for seats in granted:
        a, b = (places[s["id"]] for s in seats)
        assert a.y == b.y and abs(a.x - b.x) == 1 and a.kind == b.kind == "seat"
