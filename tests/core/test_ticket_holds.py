"""Holds with ticket types and prices, companion seats, best available seats, and the seat map of
a real hall (contract: "Auditorium layouts…" and "Ticket types and prices")."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from bookings.models import Booking, BookingSeat
from cinema.models import TicketType
from cinema.services import create_auditorium, set_showtime_prices
from tests.factories import ShowtimeFactory

from tests.support.urls import HOLDS, seats_url

pytestmark = pytest.mark.django_db

LAYOUT = {"rows": [
    {"label": "A", "seats": [{"number": 1, "kind": "wheelchair"}, {"number": 2, "kind": "companion"}, 3, 4, None, 5, 6]},
    {"label": "B", "seats": [1, 2, 3, 4, None, 5, 6]},
    {"label": "C", "category": "premium", "seats": [1, 2, 3, 4, None, 5, 6]},
]}


def types():
    return {t.code: t for t in TicketType.objects.all()}


@pytest.fixture
def hall(db):
    return create_auditorium(name="Layout hall", layout=LAYOUT)


@pytest.fixture
def priced(hall):
    """A showtime at 10.00 with premium adults at 14.00 and children at 6.00 (7.50 premium)."""
    showtime = ShowtimeFactory(auditorium=hall, price=Decimal("10.00"), starts_at=timezone.now() + timedelta(days=2))
    t = types()
    set_showtime_prices(showtime, [(t["adult"], "premium", Decimal("14.00")), (t["child"], "", Decimal("6.00")),
                                   (t["child"], "premium", Decimal("7.50"))])
    return showtime


def seat(showtime, label):
    return showtime.auditorium.seats.get(label=label).pk


def post(client, body):
    return client.post(HOLDS, body, format="json")


# --- tickets and prices ---


def test_tickets_carry_their_type_and_price_and_the_total_is_their_sum(user_client, priced):
    tickets = [{"seat": seat(priced, "C1"), "ticket_type": "child"}, {"seat": seat(priced, "C2"), "ticket_type": "adult"},
               {"seat": seat(priced, "B1"), "ticket_type": "child"}]

    response = post(user_client, {"showtime": priced.pk, "tickets": tickets})

    assert response.status_code == 201, response.json()
    body = response.json()
    by_label = {s["label"]: (s["ticket_type"], s["price"]) for s in body["seats"]}
    assert by_label == {"B1": ("child", "6.00"), "C1": ("child", "7.50"), "C2": ("adult", "14.00")}
    assert body["total"] == "27.50"
    assert sorted(BookingSeat.objects.values_list("ticket_type_id", "price")) == [
        ("adult", Decimal("14.00")), ("child", Decimal("6.00")), ("child", Decimal("7.50"))]
    assert Booking.objects.get().total == Decimal("27.50")


def test_plain_seat_ids_are_adult_tickets(user_client, priced):
    response = post(user_client, {"showtime": priced.pk, "seats": [seat(priced, "B3"), seat(priced, "C3")]})

    assert response.status_code == 201
    assert [(s["ticket_type"], s["price"]) for s in response.json()["seats"]] == [("adult", "10.00"), ("adult", "14.00")]
    assert response.json()["total"] == "24.00"


@pytest.mark.parametrize("ticket_type", ["senior", "pensioner"])
def test_a_ticket_type_not_on_sale_is_a_400_and_holds_nothing(user_client, priced, ticket_type):
    tickets = [{"seat": seat(priced, "B1"), "ticket_type": "adult"}, {"seat": seat(priced, "B2"), "ticket_type": ticket_type}]

    response = post(user_client, {"showtime": priced.pk, "tickets": tickets})

    assert response.status_code == 400
    assert response.json()["code"] == "ticket_type_not_on_sale"
    assert response.json()["seats"] == [seat(priced, "B2")]
    assert not Booking.objects.exists() and not BookingSeat.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"seats": [1], "quantity": 2},
        {"tickets": [{"seat": 1}]},
        {"tickets": [{"seat": 1, "ticket_type": "not a slug!"}]},
        {"quantity": 0},
        {"quantity": "two"},
        {},
    ],
)
def test_a_malformed_hold_request_is_a_400(user_client, priced, body):
    response = post(user_client, {"showtime": priced.pk, **body})
    assert response.status_code == 400, response.json()
    assert set(response.json()) >= {"detail", "code"}
    assert not Booking.objects.exists()


def test_a_showtime_without_price_rows_is_priced_in_the_same_single_read(user_client, hall, django_assert_max_num_queries):
    """No price rows (most showtimes): the locking read says so and nothing more is read."""
    showtime = ShowtimeFactory(auditorium=hall, price=Decimal("9.50"))
    b1 = seat(showtime, "B1")
    with django_assert_max_num_queries(5) as captured:  # SAVEPOINT, lock, read, insert, RELEASE
        response = post(user_client, {"showtime": showtime.pk, "seats": [b1]})
    assert response.status_code == 201
    assert [q["sql"].split()[0].upper() for q in captured.captured_queries].count("SELECT") <= 2


# --- companion seats ---


def test_a_companion_seat_alone_is_refused_until_the_release(user_client, priced, settings):
    settings.ACCESSIBLE_RELEASE_MINUTES = 60
    companion = seat(priced, "A2")

    refused = post(user_client, {"showtime": priced.pk, "seats": [companion, seat(priced, "A3")]})
    assert refused.status_code == 409
    assert refused.json()["code"] == "companion_needs_wheelchair"
    assert refused.json()["seats"] == [companion]
    assert not Booking.objects.exists()

    with time_machine.travel(priced.starts_at - timedelta(minutes=59)):
        released = post(user_client, {"showtime": priced.pk, "seats": [companion]})
    assert released.status_code == 201


def test_a_companion_seat_with_its_wheelchair_space_is_sold_at_any_time(user_client, priced):
    response = post(user_client, {"showtime": priced.pk, "seats": [seat(priced, "A1"), seat(priced, "A2")]})
    assert response.status_code == 201


# --- best available ---


def test_quantity_holds_the_best_seats_side_by_side(user_client, priced):
    response = post(user_client, {"showtime": priced.pk, "quantity": 2})

    assert response.status_code == 201, response.json()
    # Rows A..C: two thirds back is row B (1.33 -> 1); the middle of its 7 columns is 3.
    assert [s["label"] for s in response.json()["seats"]] == ["B3", "B4"]
    assert {s["ticket_type"] for s in response.json()["seats"]} == {"adult"}


def test_quantity_never_takes_seats_already_held_and_says_the_largest_block(user_client, client_for, priced):
    from tests.factories import UserFactory

    others = client_for(UserFactory())
    # Leave at most two together anywhere: hold B3-B4 (block 1-2 and 5-6 left) and C1, C2, C5.
    assert post(others, {"showtime": priced.pk, "seats": [seat(priced, x) for x in ("B3", "B4", "C1")]}).status_code == 201
    assert post(others, {"showtime": priced.pk, "seats": [seat(priced, x) for x in ("C2", "C5")]}).status_code == 201

    response = post(user_client, {"showtime": priced.pk, "quantity": 3})

    assert response.status_code == 409
    assert response.json()["code"] == "no_adjacent_seats"
    assert response.json()["largest"] == 2  # A3-A4, B1-B2, B5-B6, C3-C4
    best_two = post(user_client, {"showtime": priced.pk, "quantity": 2})
    assert best_two.status_code == 201
    labels = [s["label"] for s in best_two.json()["seats"]]
    assert labels in (["B1", "B2"], ["B5", "B6"])  # row B first, never a taken seat


def test_quantity_beyond_the_booking_limit_is_a_400(user_client, priced, settings):
    settings.MAX_SEATS_PER_BOOKING = 4
    response = post(user_client, {"showtime": priced.pk, "quantity": 5})
    assert response.status_code == 400 and response.json()["code"] == "too_many_seats"


def test_quantity_on_an_unknown_showtime_is_404(user_client, db):
    response = post(user_client, {"showtime": 987654, "quantity": 2})
    assert response.status_code == 404


# --- the seat map of a real hall ---


def test_the_seat_map_gives_each_seat_kind_category_place_and_adult_price(anon_client, priced):
    seats = {s["label"]: s for s in anon_client.get(seats_url(priced)).json()["seats"]}

    assert {k: seats["A1"][k] for k in ("kind", "category", "x", "y", "price")} == {
        "kind": "wheelchair", "category": "standard", "x": 0, "y": 0, "price": "10.00"}
    assert {k: seats["A5"][k] for k in ("kind", "x", "y")} == {"kind": "seat", "x": 5, "y": 0}  # after the aisle
    assert {k: seats["C6"][k] for k in ("category", "x", "y", "price")} == {"category": "premium", "x": 6, "y": 2, "price": "14.00"}


def test_the_seat_map_is_a_fixed_number_of_queries_with_layouts_and_prices(anon_client, django_assert_max_num_queries, user):
    from bookings.holds.services import hold_seats

    t = types()
    for rows, per_row in ((4, 10), (40, 50)):
        layout = {"rows": [{"label": f"R{r}", "category": "premium" if r % 3 == 0 else "standard",
                            "seats": [*range(1, per_row // 2 + 1), None, *range(per_row // 2 + 1, per_row + 1)]}
                           for r in range(rows)]}
        showtime = ShowtimeFactory(auditorium=create_auditorium(name=f"H{rows}", layout=layout))
        set_showtime_prices(showtime, [(t["adult"], "premium", Decimal("12.00"))])
        hold_seats(user, showtime, list(showtime.auditorium.seats.values_list("pk", flat=True)[:5]))
        with django_assert_max_num_queries(3):  # the showtime, its price rows, the seats with who takes them
            seats = anon_client.get(seats_url(showtime)).json()["seats"]
        assert len(seats) == rows * per_row
        assert sum(s["status"] == "held" for s in seats) == 5
        assert {s["price"] for s in seats if s["category"] == "premium"} == {"12.00"}
