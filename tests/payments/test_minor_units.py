"""Integer minor units at the Stripe boundary: cents for usd/eur, whole units for vnd/jpy."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from bookings.models import Booking
from bookings.payments.gateways import from_minor_units, to_minor_units
from tests.factories import ShowtimeFactory
from tests.support.stripe import STRIPE
from tests.support.urls import booking_url


@pytest.mark.parametrize(
    "amount, currency, minor",
    [
        (Decimal("9.50"), "usd", 950),
        (Decimal("0.01"), "usd", 1),
        (Decimal("19.99"), "eur", 1999),
        (Decimal("120000"), "vnd", 120000),
        (Decimal("120000.00"), "vnd", 120000),
        (Decimal("1500"), "jpy", 1500),
        (Decimal("1.25"), "kwd", 1250),
    ],
)
def test_to_and_from_minor_units(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert isinstance(to_minor_units(amount, currency), int)
    assert from_minor_units(minor, currency) == amount


def test_from_minor_units_keeps_the_currency_exponent():
    assert str(from_minor_units(950, "usd")) == "9.50"
    assert str(from_minor_units(120000, "VND")) == "120000"


@pytest.mark.parametrize("amount, currency", [(Decimal("9.505"), "usd"), (Decimal("120000.5"), "vnd")])
def test_amounts_finer_than_the_currency_are_refused_not_rounded(amount, currency):
    with pytest.raises(ValueError):
        to_minor_units(amount, currency)


@pytest.mark.parametrize(
    "price, currency, unit_amount",
    [(Decimal("9.50"), "usd", "950"), (Decimal("95000"), "vnd", "95000")],
)
def test_checkout_session_carries_minor_units(
    price, currency, unit_amount, stripe_gateway, stripe_api, hold, user, user_client
):
    showtime = ShowtimeFactory(price=price, currency=currency)
    booking = hold(user, showtime, n=3)
    stripe_api.post(
        f"{STRIPE}/v1/checkout/sessions",
        json={"id": "cs_test_units", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_units"},
    )

    response = user_client.post(booking_url(booking, "checkout"))

    assert response.status_code == 200, response.content
    form = parse_qs(stripe_api.calls[0].request.body)
    assert form["line_items[0][price_data][unit_amount]"] == [unit_amount]
    assert form["line_items[0][quantity]"] == ["3"]
    assert form["line_items[0][price_data][currency]"] == [currency]
    assert Booking.objects.get(pk=booking.pk).total == price * 3
