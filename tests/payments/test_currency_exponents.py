"""One table of currency exponents (Babel's): the price check, the API and Stripe's minor units agree.

Before, the catalogue allowed cents on an `mga` price while the gateway counted whole ariary, so
an `mga` showtime's checkout was a 500."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from cinema.models import Showtime
from core.money import amount_string, exponent, from_minor_units, price_decimals, to_minor_units

STRIPE = "https://api.stripe.com"


@pytest.mark.parametrize(
    "currency, digits", [("usd", 2), ("eur", 2), ("vnd", 0), ("jpy", 0), ("mga", 0), ("kwd", 3), ("USD", 2)]
)
def test_exponent_is_the_currency_minor_unit(currency, digits):
    assert exponent(currency) == digits


def test_stored_prices_keep_at_most_two_decimals():
    assert price_decimals("kwd") == 2
    assert amount_string(Decimal("1.5"), "kwd") == "1.50"
    assert to_minor_units(Decimal("1.50"), "kwd") == 1500
    assert str(from_minor_units(1500, "kwd")) == "1.500"


def test_mga_price_with_decimals_is_refused_when_scheduled(staff_client, movie, auditorium):
    body = {"movie": movie.pk, "auditorium": auditorium.pk, "price": "9.50", "currency": "mga",
            "starts_at": (timezone.now() + timedelta(days=1)).isoformat()}

    response = staff_client.post("/api/v1/showtimes/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_price"
    assert not Showtime.objects.exists()


def test_mga_showtime_checks_out_in_whole_ariary(
    settings, staff_client, user_client, movie, auditorium, stripe_api
):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_payments"
    settings.STRIPE_API_BASE = ""
    scheduled = staff_client.post(
        "/api/v1/showtimes/",
        {"movie": movie.pk, "auditorium": auditorium.pk, "price": "12000", "currency": "mga",
         "starts_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )
    assert scheduled.status_code == 201, scheduled.content
    assert scheduled.json()["price"] == "12000"
    seats = list(auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True)[:2])
    held = user_client.post("/api/v1/bookings/", {"showtime": scheduled.json()["id"], "seats": seats}, format="json")
    assert held.status_code == 201, held.content
    assert held.json()["total"] == "24000"
    stripe_api.post(
        f"{STRIPE}/v1/checkout/sessions",
        json={"id": "cs_test_mga", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_mga"},
    )

    response = user_client.post(f"/api/v1/bookings/{held.json()['id']}/checkout/")

    assert response.status_code == 200, response.content
    form = parse_qs(stripe_api.calls[0].request.body)
    assert form["line_items[0][price_data][unit_amount]"] == ["12000"]
    assert form["line_items[0][price_data][currency]"] == ["mga"]
