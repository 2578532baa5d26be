"""Ticket types through payment: Stripe Checkout shows one line per ticket type, tickets keep
their type and price, and check-in says when the door must ask for proof."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from bookings.holds.services import hold_seats
from cinema.models import TicketType
from cinema.services import create_auditorium, set_showtime_prices
from tests.factories import ShowtimeFactory
from tests.support.stripe import STRIPE
from tests.support.urls import CHECKIN, booking_url

pytestmark = pytest.mark.django_db

SESSION = {"id": "cs_test_types", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_types"}
LAYOUT = {"rows": [{"label": "A", "seats": [1, 2, 3, 4]}, {"label": "B", "category": "premium", "seats": [1, 2, 3, 4]}]}


@pytest.fixture
def family_booking(user):
    """Two adults (one standard at 10.00, one premium at 14.00) and two children at 6.00."""
    showtime = ShowtimeFactory(auditorium=create_auditorium(name="Family hall", layout=LAYOUT), price=Decimal("10.00"))
    types = {t.code: t for t in TicketType.objects.all()}
    set_showtime_prices(showtime, [(types["adult"], "premium", Decimal("14.00")), (types["child"], "", Decimal("6.00"))])
    seats = dict(showtime.auditorium.seats.values_list("label", "pk"))
    return hold_seats(user, showtime, tickets={seats["A1"]: "adult", seats["B1"]: "adult", seats["A2"]: "child",
                                               seats["A3"]: "child"})


def test_stripe_checkout_has_one_line_per_ticket_type(family_booking, user_client, stripe_gateway, stripe_api):
    stripe_api.post(f"{STRIPE}/v1/checkout/sessions", json=SESSION)

    response = user_client.post(booking_url(family_booking, "checkout"))

    assert response.status_code == 200
    form = parse_qs(stripe_api.calls[0].request.body)
    lines = sorted(
        {key.split("]")[0].split("[")[1] for key in form if key.startswith("line_items[")}
    )
    assert len(lines) == 2
    adult = {k.split("]", 1)[1]: v[0] for k, v in form.items() if k.startswith("line_items[0]")}
    child = {k.split("]", 1)[1]: v[0] for k, v in form.items() if k.startswith("line_items[1]")}
    # Adults differ in price (a premium seat): one line at their subtotal; children: 2 x 6.00.
    assert (adult["[quantity]"], adult["[price_data][unit_amount]"]) == ("1", "2400")
    assert adult["[price_data][product_data][name]"].endswith("· Adult × 2")
    assert (child["[quantity]"], child["[price_data][unit_amount]"]) == ("2", "600")
    assert child["[price_data][product_data][name]"].endswith("· Child")
    assert family_booking.total == Decimal("36.00") == Decimal("24.00") + 2 * Decimal("6.00")


def test_tickets_keep_their_type_and_price_and_check_in_says_when_to_ask_for_proof(family_booking, pay, user_client, staff_client):
    booking = pay(family_booking)
    body = user_client.get(booking_url(booking)).json()

    assert sorted((t["seat"]["label"], t["ticket_type"], t["price"]) for t in body["tickets"]) == [
        ("A1", "adult", "10.00"), ("A2", "child", "6.00"), ("A3", "child", "6.00"), ("B1", "adult", "14.00")]
    assert sorted((s["label"], s["ticket_type"], s["price"]) for s in body["seats"]) == [
        ("A1", "adult", "10.00"), ("A2", "child", "6.00"), ("A3", "child", "6.00"), ("B1", "adult", "14.00")]

    codes = {t["seat"]["label"]: t["code"] for t in body["tickets"]}
    child = staff_client.post(CHECKIN, {"code": codes["A2"]}, format="json").json()
    adult = staff_client.post(CHECKIN, {"code": codes["A1"]}, format="json").json()
    assert (child["ticket_type"], child["check_id"]) == ("child", True)
    assert (adult["ticket_type"], adult["check_id"]) == ("adult", False)
