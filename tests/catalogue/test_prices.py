"""Ticket types and a showtime's prices by ticket type and seat category (cinema.pricing's rule)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cinema.models import ShowtimePrice, Showtime, TicketType
from cinema.pricing import PriceList, TicketTypeNotOnSale, resolve_price
from cinema.services import create_auditorium

pytestmark = pytest.mark.django_db

SHOWTIMES = "/api/v1/showtimes/"
LAYOUT = {"rows": [{"label": "A", "seats": [1, 2, 3]}, {"label": "B", "category": "premium", "seats": [1, 2, 3]}]}


def test_the_four_ticket_types_exist_after_migrate_and_anyone_lists_them(anon_client):
    response = anon_client.get("/api/v1/ticket-types/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"code": "adult", "name": "Adult", "check_id": False},
        {"code": "child", "name": "Child", "check_id": True},
        {"code": "senior", "name": "Senior", "check_id": True},
        {"code": "student", "name": "Student", "check_id": True},
    ]


def test_staff_added_ticket_types_are_listed(anon_client):
    TicketType.objects.create(code="member", name="Member", check_id=True, position=50)
    codes = [t["code"] for t in anon_client.get("/api/v1/ticket-types/").json()["results"]]
    assert codes[-1] == "member"


# --- the rule ---

ROWS = {("adult", "premium"): Decimal("14.00"), ("child", ""): Decimal("6.00"), ("child", "premium"): Decimal("8.00"),
        ("senior", ""): Decimal("7.00")}


@pytest.mark.parametrize(
    "ticket_type, category, expected",
    [
        ("adult", "premium", Decimal("14.00")),  # the row for its type and category
        ("adult", "standard", Decimal("9.50")),  # adult falls back to the showtime's price
        ("child", "premium", Decimal("8.00")),  # category row wins over the any-category row
        ("child", "standard", Decimal("6.00")),  # the type's any-category row
        ("senior", "premium", Decimal("7.00")),
        ("student", "standard", None),  # no row, not adult: not on sale
    ],
)
def test_a_ticket_costs_its_type_and_category_row_else_its_type_row_else_adult_base(ticket_type, category, expected):
    assert resolve_price(ROWS, ticket_type, category, Decimal("9.50")) == expected


def test_price_list_raises_for_a_type_not_on_sale():
    prices = PriceList(ROWS, Decimal("9.50"))
    with pytest.raises(TicketTypeNotOnSale) as caught:
        prices.price("student", "standard")
    assert caught.value.code == "ticket_type_not_on_sale"


# --- through the API ---


@pytest.fixture
def hall(db):
    return create_auditorium(name="Priced", layout=LAYOUT)


def post_showtime(client, movie, hall, **extra):
    body = {"movie": movie.pk, "auditorium": hall.pk, "starts_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "price": "9.50", **extra}
    return client.post(SHOWTIMES, body, format="json")


def test_staff_schedule_a_showtime_with_prices_and_read_them_resolved(staff_client, anon_client, movie, hall):
    prices = [
        {"ticket_type": "adult", "category": "premium", "price": "14.00"},
        {"ticket_type": "child", "price": "6.00"},
        {"ticket_type": "child", "category": "premium", "price": "8.50"},
    ]
    created = post_showtime(staff_client, movie, hall, prices=prices)
    assert created.status_code == 201, created.content

    expected = [
        {"ticket_type": "adult", "category": "standard", "price": "9.50"},
        {"ticket_type": "adult", "category": "premium", "price": "14.00"},
        {"ticket_type": "child", "category": "standard", "price": "6.00"},
        {"ticket_type": "child", "category": "premium", "price": "8.50"},
    ]
    assert created.json()["prices"] == expected
    detail = anon_client.get(f"{SHOWTIMES}{created.json()['id']}/")
    assert detail.status_code == 200
    assert detail.json()["prices"] == expected
    assert detail.json()["price"] == "9.50" and detail.json()["currency"] == "usd"


def test_a_showtime_without_price_rows_sells_adult_tickets_at_its_price(anon_client, movie, hall):
    showtime = Showtime.objects.create(movie=movie, auditorium=hall, starts_at=timezone.now() + timedelta(days=1),
                                       ends_at=timezone.now() + timedelta(days=1, hours=2), price=Decimal("120000"),
                                       currency="vnd")
    body = anon_client.get(f"{SHOWTIMES}{showtime.pk}/").json()
    assert body["prices"] == [
        {"ticket_type": "adult", "category": "standard", "price": "120000"},
        {"ticket_type": "adult", "category": "premium", "price": "120000"},
    ]


def test_detail_of_an_unknown_showtime_is_404(anon_client):
    response = anon_client.get(f"{SHOWTIMES}999999/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "extra, field_text",
    [
        ({"prices": [{"ticket_type": "pensioner", "price": "5.00"}]}, "prices"),
        ({"prices": [{"ticket_type": "child", "price": "5.005"}]}, "decimal place"),
        ({"currency": "vnd", "price": "120000", "prices": [{"ticket_type": "child", "price": "60000.50"}]}, "decimal place"),
        ({"prices": [{"ticket_type": "child", "price": "-1"}]}, "negative"),
        ({"prices": [{"ticket_type": "child", "price": "5"}, {"ticket_type": "child", "price": "6"}]}, "twice"),
        ({"prices": [{"ticket_type": "child", "category": "Prem ium", "price": "5"}]}, "prices"),
    ],
)
def test_bad_prices_are_a_400_and_schedule_nothing(staff_client, movie, hall, extra, field_text):
    response = post_showtime(staff_client, movie, hall, **extra)

    assert response.status_code == 400, response.content
    assert field_text in str(response.json())
    assert Showtime.objects.count() == 0 and ShowtimePrice.objects.count() == 0


def test_zero_decimal_prices_stay_exact(staff_client, movie, hall):
    response = post_showtime(staff_client, movie, hall, currency="vnd", price="120000",
                             prices=[{"ticket_type": "child", "price": "75000"}])
    assert response.status_code == 201, response.content
    child = [p for p in response.json()["prices"] if p["ticket_type"] == "child"]
    assert {p["price"] for p in child} == {"75000"}
    assert ShowtimePrice.objects.get().price == Decimal("75000")


@pytest.mark.django_db(transaction=True)
def test_the_four_ticket_types_come_back_with_every_migrate_even_after_a_flush():
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)  # sends post_migrate, as migrate does
    assert set(TicketType.objects.values_list("code", flat=True)) == {"adult", "child", "senior", "student"}
