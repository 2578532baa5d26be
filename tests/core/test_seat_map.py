"""The seat map: available / held / sold, lazy expiry, and a fixed number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tests.factories import AuditoriumFactory, ShowtimeFactory
from tests.support.urls import seats_url

pytestmark = pytest.mark.django_db


def statuses(client, showtime):
    response = client.get(seats_url(showtime))
    assert response.status_code == 200
    return {s["label"]: s["status"] for s in response.json()["seats"]}


def test_seat_map_lists_every_seat_in_row_order_with_its_status(anon_client, showtime, seat_ids, user, other_user, hold, make_paid):
    hold(user, showtime, seat_ids[:2])  # A1, A2 held
    make_paid(hold(other_user, showtime, seat_ids[2:3]))  # A3 sold

    response = anon_client.get(seats_url(showtime))

    body = response.json()
    assert body["showtime"] == showtime.pk
    assert len(body["seats"]) == 50
    assert body["seats"][0] == {"id": seat_ids[0], "row": "A", "number": 1, "label": "A1", "status": "held"}
    assert [s["label"] for s in body["seats"][:11]] == [f"A{n}" for n in range(1, 11)] + ["B1"]
    by_label = statuses(anon_client, showtime)
    assert by_label["A2"] == "held" and by_label["A3"] == "sold" and by_label["A4"] == "available"
    assert list(by_label.values()).count("available") == 47


def test_hold_past_its_expiry_is_available_at_once_with_no_worker(anon_client, showtime, seat_ids, user, hold):
    hold(user, showtime, seat_ids[:1])
    expiry = timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS)

    with time_machine.travel(expiry - timedelta(seconds=1)):
        assert statuses(anon_client, showtime)["A1"] == "held"
    with time_machine.travel(expiry + timedelta(seconds=1)):
        assert statuses(anon_client, showtime)["A1"] == "available"


def test_sold_seat_stays_sold_after_the_hold_time(anon_client, showtime, seat_ids, user, hold, make_paid):
    make_paid(hold(user, showtime, seat_ids[:1]))
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert statuses(anon_client, showtime)["A1"] == "sold"


def test_seat_map_of_an_unknown_showtime_is_404(anon_client):
    response = anon_client.get("/api/v1/showtimes/999999/seats/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_seat_map_query_count_is_the_same_for_100_and_2000_seats(anon_client, django_assert_num_queries, user, hold):
    small = ShowtimeFactory(auditorium=AuditoriumFactory(rows=10, seats_per_row=10))
    big = ShowtimeFactory(auditorium=AuditoriumFactory(rows=40, seats_per_row=50))
    for showtime in (small, big):  # some held seats in each, so the status lookup has rows
        hold(user, showtime, list(showtime.auditorium.seats.values_list("pk", flat=True)[:5]))

    with django_assert_num_queries(3):
        small_seats = anon_client.get(seats_url(small)).json()["seats"]
    with django_assert_num_queries(3):
        big_seats = anon_client.get(seats_url(big)).json()["seats"]

    assert len(small_seats) == 100 and len(big_seats) == 2000
    assert sum(s["status"] == "held" for s in big_seats) == 5
