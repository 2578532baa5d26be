"""A currency whose exponent used to differ between the project's tables (mga: cents in the
catalogue, whole ariary at the gateway, cents again in the emails) works end to end: schedule,
hold, the local Pay page (a signed Stripe-shaped payment of whole ariary), paid, the
confirmation email, cancel with its refund, and the admin's figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from bookings.models import Booking
from notifications.models import EmailMessage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("currency, price, total, written", [
    ("mga", "12000", "24000", "24,000 MGA"),
    ("isk", "1500", "3000", "3,000 ISK"),  # Babel: no decimals; Stripe counts it in hundredths
    ("kwd", "1.25", "2.50", "2.50 KWD"),   # three-decimal at Stripe, two stored
])
def test_a_showtime_in_currency_goes_from_hold_to_refund(staff_client, user, movie, auditorium, settings,
                                                         currency, price, total, written):
    settings.PAYMENT_GATEWAY = "local"
    scheduled = staff_client.post(
        "/api/v1/showtimes/",
        {"movie": movie.pk, "auditorium": auditorium.pk, "price": price, "currency": currency,
         "starts_at": (timezone.now() + timedelta(days=3)).isoformat()},
        format="json",
    )
    assert scheduled.status_code == 201, scheduled.content
    seats = list(auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True)[:2])
    site = Client()
    site.force_login(user)
    held = site.post("/api/v1/bookings/", {"showtime": scheduled.json()["id"], "seats": seats},
                     content_type="application/json")
    assert held.status_code == 201, held.content
    assert (held.json()["total"], held.json()["currency"]) == (total, currency)

    checkout = site.post(f"/api/v1/bookings/{held.json()['id']}/checkout/")
    assert checkout.status_code == 200, checkout.content
    pay_path = checkout.json()["checkout_url"].removeprefix(settings.SITE_URL)
    assert site.get(pay_path).status_code == 200
    assert site.post(pay_path).status_code == 302  # the signed payment of the booking's minor units

    booking = Booking.objects.get(pk=held.json()["id"])
    assert booking.status == Booking.Status.PAID and booking.payment_issue == ""
    confirmation = EmailMessage.objects.get(kind="booking_confirmation", user=user)
    assert written in confirmation.body_text and written in confirmation.body_html

    cancelled = site.post(f"/api/v1/bookings/{booking.pk}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["refund_amount"] == total
    booking.refresh_from_db()
    assert booking.refund_amount == Decimal(total) and booking.refund_status in ("pending", "succeeded")
