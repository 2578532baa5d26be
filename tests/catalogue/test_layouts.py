"""Auditoriums drawn from a layout: seats with kind, category and position; bad layouts are a 400
naming the row and change nothing; a hall with taken seats keeps its layout."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingSeat
from cinema.layouts import layout_of, parse_layout
from cinema.models import Auditorium, Seat
from cinema.services import LayoutLocked, change_layout, create_auditorium
from tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db

AUDITORIUMS = "/api/v1/auditoriums/"

LAYOUT = {
    "rows": [
        {"label": "A", "seats": [1, 2, None, 3, {"number": 4, "kind": "wheelchair"}, {"number": 5, "kind": "companion"}]},
        {"label": "B", "category": "premium", "seats": [1, 2, None, 3, {"number": 4, "category": "couple"}]},
    ]
}


def seats_of(auditorium_id):
    return {
        s.label: (s.kind, s.category, s.x, s.y)
        for s in Seat.objects.filter(auditorium_id=auditorium_id)
    }


def test_staff_create_an_auditorium_from_a_layout(staff_client):
    response = staff_client.post(AUDITORIUMS, {"name": "Main", "layout": LAYOUT}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {"id": body["id"], "name": "Main", "seat_count": 9, "categories": ["standard", "premium", "couple"]}
    assert seats_of(body["id"]) == {
        "A1": ("seat", "standard", 0, 0),
        "A2": ("seat", "standard", 1, 0),
        "A3": ("seat", "standard", 3, 0),  # the aisle is column 2
        "A4": ("wheelchair", "standard", 4, 0),
        "A5": ("companion", "standard", 5, 0),
        "B1": ("seat", "premium", 0, 1),
        "B2": ("seat", "premium", 1, 1),
        "B3": ("seat", "premium", 3, 1),
        "B4": ("seat", "couple", 4, 1),
    }
    hall = Auditorium.objects.get(pk=body["id"])
    assert (hall.rows, hall.seats_per_row) == (2, 6)


def test_a_plain_grid_still_works_and_is_all_standard_seats(staff_client):
    response = staff_client.post(AUDITORIUMS, {"name": "Grid", "rows": 2, "seats_per_row": 3}, format="json")
    assert response.status_code == 201
    assert seats_of(response.json()["id"])["B3"] == ("seat", "standard", 2, 1)


@pytest.mark.parametrize(
    "rows, named",
    [
        ([{"label": "A", "seats": [1, 2]}, {"label": "B", "seats": [1, "two"]}], "Row 2 (B)"),
        ([{"label": "A", "seats": [1, 1]}], "Row 1 (A)"),
        ([{"label": "A", "seats": [1]}, {"label": "A", "seats": [1]}], "Row 2 (A)"),
        ([{"label": "A", "seats": [1, {"number": 2, "kind": "sofa"}]}], "Row 1 (A)"),
        ([{"label": "A", "seats": [1]}, {"label": "B", "seats": [{"number": 1, "kind": "companion"}, 2]}], "Row 2 (B)"),
        ([{"label": "A", "category": "Not A Slug", "seats": [1]}], "Row 1 (A)"),
        ([{"label": "A", "seats": []}], "Row 1 (A)"),
        ([{"label": "A", "seats": [1]}, {"label": "ABCD", "seats": [1]}], "Row 2"),
        ([{"label": "A", "seats": [1]}, ["not", "an", "object"]], "Row 2"),
        ([{"label": "A", "seats": [0]}], "Row 1 (A)"),
    ],
)
def test_a_malformed_layout_is_a_400_naming_the_row_and_creates_nothing(staff_client, rows, named):
    response = staff_client.post(AUDITORIUMS, {"name": "Bad", "layout": {"rows": rows}}, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid_layout"
    assert named in body["detail"]
    assert Auditorium.objects.count() == 0 and Seat.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Bad", "layout": {"rows": []}},
        {"name": "Bad", "layout": "A1 A2"},
        {"name": "Bad", "layout": {"rows": [{"seats": [1]}], "extra": 1}},
        {"name": "Bad", "layout": {"rows": [{"seats": [None, None]}]}},
        {"name": "Bad", "layout": LAYOUT, "rows": 2, "seats_per_row": 2},
        {"name": "Bad"},
    ],
)
def test_a_layout_that_is_no_layout_is_a_400(staff_client, body):
    response = staff_client.post(AUDITORIUMS, body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) >= {"detail", "code"}
    assert Auditorium.objects.count() == 0


def test_a_row_of_gaps_is_a_cross_aisle():
    parsed = parse_layout({"rows": [{"label": "A", "seats": [1, 2]}, {"seats": [None]}, {"label": "C", "seats": [1, 2]}]})
    assert [(s.label, s.y) for s in parsed.seats] == [("A1", 0), ("A2", 0), ("C1", 2), ("C2", 2)]


def test_layout_of_stored_seats_draws_the_same_hall():
    hall = create_auditorium(name="Round trip", layout=LAYOUT)
    redrawn = layout_of(hall.seats.all())
    assert parse_layout(redrawn).seats == parse_layout(LAYOUT).seats


def test_changing_the_layout_keeps_seat_ids_and_redraws():
    hall = create_auditorium(name="Redraw", rows=1, seats_per_row=4)
    ids = dict(hall.seats.values_list("label", "pk"))
    change_layout(hall, {"rows": [{"label": "A", "seats": [1, 2, None, 3, {"number": 5, "kind": "wheelchair"}]}]})

    assert dict(hall.seats.values_list("label", "pk")) == {"A1": ids["A1"], "A2": ids["A2"], "A3": ids["A3"],
                                                          "A5": hall.seats.get(label="A5").pk}
    assert seats_of(hall.pk)["A3"] == ("seat", "standard", 3, 0)
    hall.refresh_from_db()
    assert (hall.seat_count, hall.seats_per_row) == (4, 5)


def _take(showtime, seat, *, paid, user):
    booking = Booking.objects.create(
        user=user, showtime=showtime, status=Booking.Status.PAID if paid else Booking.Status.PENDING,
        expires_at=timezone.now() + timedelta(minutes=10), total=showtime.price, currency=showtime.currency,
    )
    return BookingSeat.objects.create(
        booking=booking, showtime=showtime, seat=seat, price=showtime.price,
        expires_at=None if paid else booking.expires_at,
    )


def test_a_hall_with_sold_seats_of_an_upcoming_showtime_keeps_its_layout(user):
    hall = create_auditorium(name="Busy", rows=2, seats_per_row=3)
    showtime = ShowtimeFactory(auditorium=hall)
    _take(showtime, hall.seats.first(), paid=True, user=user)
    before = seats_of(hall.pk)

    with pytest.raises(LayoutLocked):
        change_layout(hall, {"rows": [{"seats": [1, None, 2, 3]}, {"seats": [1, 2, 3]}]})
    assert seats_of(hall.pk) == before


def test_a_seat_booked_in_the_past_cannot_be_removed(user):
    hall = create_auditorium(name="Old", rows=1, seats_per_row=3)
    past = ShowtimeFactory(auditorium=hall, starts_at=timezone.now() - timedelta(days=2))
    taken = _take(past, hall.seats.get(label="A3"), paid=True, user=user)
    taken.active = False
    taken.save()

    with pytest.raises(LayoutLocked, match="A3"):
        change_layout(hall, {"rows": [{"seats": [1, 2]}]})
    change_layout(hall, {"rows": [{"seats": [1, 2, None, 3]}]})  # moving it is fine
    assert seats_of(hall.pk)["A3"] == ("seat", "standard", 3, 0)
