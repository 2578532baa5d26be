"""The local gateway's Pay page: a signed checkout.session.completed through our own webhook path."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from bookings.models import Booking, StripeEvent
from tests.support.urls import booking_url


@pytest.fixture
def checkout_url(pending_booking, user_client):
    return user_client.post(booking_url(pending_booking, "checkout")).json()["checkout_url"]


def browser(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_token(client, path):
    page = client.get(path)
    assert page.status_code == 200
    return page.cookies["csrftoken"].value


def test_pay_flow_marks_the_booking_paid_end_to_end(pending_booking, checkout_url, user, settings):
    path = checkout_url.removeprefix(settings.SITE_URL)
    client = browser(user)
    page = client.get(path)
    assert page.status_code == 200
    assert pending_booking.reference in page.content.decode()
    assert 'id="pay"' in page.content.decode()
    assert "Cancel payment" in page.content.decode()

    response = client.post(path, {"csrfmiddlewaretoken": page.cookies["csrftoken"].value})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.SITE_URL}/bookings/{pending_booking.pk}/")
    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert booking.tickets.count() == 2
    event = StripeEvent.objects.get(booking=booking)
    assert event.type == "checkout.session.completed"
    assert event.status == StripeEvent.Status.PROCESSED
    assert event.payload["data"]["object"]["amount_total"] == 1900
    assert event.payload["data"]["object"]["id"] == booking.checkout_session_id


def test_pay_without_csrf_token_is_refused(pending_booking, checkout_url, user, settings):
    response = browser(user).post(checkout_url.removeprefix(settings.SITE_URL))
    assert response.status_code == 403
    assert Booking.objects.get(pk=pending_booking.pk).status == Booking.Status.PENDING


def test_the_pay_page_is_the_owners_alone(pending_booking, checkout_url, other_user, staff_user, settings):
    path = checkout_url.removeprefix(settings.SITE_URL)
    for someone in (other_user, staff_user):
        client = Client()
        client.force_login(someone)
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    assert Booking.objects.get(pk=pending_booking.pk).status == Booking.Status.PENDING


def test_unknown_session_is_404(user, db):
    client = Client()
    client.force_login(user)
    assert client.get("/pay/local/cs_local_nothing/").status_code == 404


def test_pay_page_of_a_paid_booking_offers_no_button(pending_booking, checkout_url, user, settings, pay):
    path = checkout_url.removeprefix(settings.SITE_URL)
    client = browser(user)
    token = csrf_token(client, path)  # the page was open in a second tab
    pay(pending_booking)
    page = client.get(path)
    assert 'id="pay"' not in page.content.decode()
    response = client.post(path, {"csrfmiddlewaretoken": token})
    assert response.status_code == 409
    assert StripeEvent.objects.count() == 1


def test_paying_just_after_the_hold_is_a_late_payment(pending_booking, checkout_url, user, settings):
    path = checkout_url.removeprefix(settings.SITE_URL)
    client = browser(user)
    token = csrf_token(client, path)
    with time_machine.travel(pending_booking.expires_at + timedelta(seconds=30)):
        assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 302
    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert booking.late_payment == Booking.LatePayment.KEPT


def test_the_pay_page_does_not_exist_when_stripe_takes_the_money(pending_booking, checkout_url, user, settings):
    """A session made while the local gateway was on cannot be paid for free once Stripe is."""
    path = checkout_url.removeprefix(settings.SITE_URL)
    client = browser(user)
    token = csrf_token(client, path)
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_payments"

    assert client.get(path).status_code == 404
    assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 404
    assert Booking.objects.get(pk=pending_booking.pk).status == Booking.Status.PENDING
