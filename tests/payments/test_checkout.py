"""POST /api/v1/bookings/{id}/checkout/: local and Stripe gateways, refusals, idempotency."""

from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import parse_qs

import pytest
import requests
import time_machine

from bookings.holds import expiry
from bookings.payments import cancellation
from bookings.models import Booking
from tests.support.stripe import STRIPE
from tests.support.urls import booking_url

SESSION = {"id": "cs_test_abc", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_abc"}


def test_local_checkout_gives_a_page_of_this_site(pending_booking, user_client, settings):
    response = user_client.post(booking_url(pending_booking, "checkout"))

    assert response.status_code == 200
    body = response.json()
    assert body["session_id"].startswith("cs_local_")
    assert body["checkout_url"] == f"{settings.SITE_URL}/pay/local/{body['session_id']}/"
    assert Booking.objects.get(pk=pending_booking.pk).checkout_session_id == body["session_id"]


def test_checkout_twice_gives_the_same_session(pending_booking, user_client):
    first = user_client.post(booking_url(pending_booking, "checkout")).json()
    second = user_client.post(booking_url(pending_booking, "checkout")).json()
    assert first == second


@pytest.mark.parametrize("who", ["other", "staff"])
def test_checkout_is_the_owners_alone(who, pending_booking, client_for, other_user, staff_user):
    client = client_for(other_user if who == "other" else staff_user)
    response = client.post(booking_url(pending_booking, "checkout"))
    assert response.status_code == 404
    assert Booking.objects.get(pk=pending_booking.pk).checkout_session_id is None


def test_checkout_needs_credentials(pending_booking, anon_client):
    assert anon_client.post(booking_url(pending_booking, "checkout")).status_code == 401


def test_checkout_of_an_unknown_or_malformed_id_is_404(user_client, db):
    assert user_client.post("/api/v1/bookings/not-a-uuid/checkout/").status_code == 404
    assert user_client.post("/api/v1/bookings/00000000-0000-0000-0000-000000000000/checkout/").status_code == 404


def test_checkout_after_the_hold_is_409_hold_expired(pending_booking, user_client):
    with time_machine.travel(pending_booking.expires_at + timedelta(seconds=1)):
        response = user_client.post(booking_url(pending_booking, "checkout"))
    assert response.status_code == 409
    assert response.json()["code"] == "hold_expired"


@pytest.mark.parametrize("end", ["paid", "cancelled"])
def test_checkout_of_a_booking_not_pending_is_409_not_pending(end, pending_booking, user, user_client, pay):
    if end == "paid":
        pay(pending_booking)
    else:
        cancellation.cancel_booking(pending_booking, by_user=user)
    response = user_client.post(booking_url(pending_booking, "checkout"))
    assert response.status_code == 409
    assert response.json()["code"] == "not_pending"


def test_stripe_checkout_session_parameters(pending_booking, user_client, stripe_gateway, stripe_api, settings):
    stripe_api.post(f"{STRIPE}/v1/checkout/sessions", json=SESSION)

    response = user_client.post(booking_url(pending_booking, "checkout"))

    assert response.status_code == 200
    assert response.json() == {"checkout_url": SESSION["url"], "session_id": "cs_test_abc"}
    assert Booking.objects.get(pk=pending_booking.pk).checkout_session_id == "cs_test_abc"
    request = stripe_api.calls[0].request
    assert request.headers["Idempotency-Key"] == f"checkout:{pending_booking.pk}"
    assert request.headers["Authorization"] == "Bearer sk_test_payments"
    form = parse_qs(request.body)
    assert form["mode"] == ["payment"]
    assert form["client_reference_id"] == [str(pending_booking.pk)]
    assert form["metadata[booking_id]"] == [str(pending_booking.pk)]
    page = f"{settings.SITE_URL}/bookings/{pending_booking.pk}/"
    assert form["success_url"][0].startswith(page)
    assert form["cancel_url"][0].startswith(page)
    assert form["line_items[0][quantity]"] == ["2"]
    assert form["line_items[0][price_data][unit_amount]"] == ["950"]
    expires_at = datetime.fromtimestamp(int(form["expires_at"][0]), tz=dt_timezone.utc)
    # Stripe's minimum is 30 minutes from creation: counted from the end of the hold, it is
    # always met while checkout is allowed, and the same on every call (idempotent replay).
    assert timedelta(minutes=31) - timedelta(seconds=1) < expires_at - pending_booking.expires_at <= timedelta(minutes=31)


def test_stripe_checkout_again_sends_the_same_request(pending_booking, user_client, stripe_gateway, stripe_api):
    stripe_api.post(f"{STRIPE}/v1/checkout/sessions", json=SESSION)
    user_client.post(booking_url(pending_booking, "checkout"))
    user_client.post(booking_url(pending_booking, "checkout"))
    first, second = (call.request for call in stripe_api.calls)
    assert first.body == second.body
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_stripe_api_base_points_the_client_elsewhere(pending_booking, user_client, stripe_gateway, stripe_api):
    stripe_gateway.STRIPE_API_BASE = "http://stripe-stub.local:12111"
    stripe_api.post("http://stripe-stub.local:12111/v1/checkout/sessions", json=SESSION)
    assert user_client.post(booking_url(pending_booking, "checkout")).status_code == 200
    assert len(stripe_api.calls) == 1


@pytest.mark.parametrize("failure", ["500", "connection"])
def test_stripe_down_is_503_and_changes_nothing(failure, pending_booking, user_client, stripe_gateway, stripe_api):
    if failure == "500":
        stripe_api.post(f"{STRIPE}/v1/checkout/sessions", status=500, json={"error": {"message": "boom", "type": "api_error"}})
    else:
        stripe_api.post(f"{STRIPE}/v1/checkout/sessions", body=requests.ConnectionError("unreachable"))

    response = user_client.post(booking_url(pending_booking, "checkout"))

    assert response.status_code == 503
    assert response.json()["code"] == "payment_unavailable"
    assert Booking.objects.get(pk=pending_booking.pk).checkout_session_id is None


def test_an_expired_hold_sends_the_stripe_session_expiry(
    pending_booking, stripe_gateway, stripe_api, django_capture_on_commit_callbacks
):
    """core's expiry calls on_hold_expired; the session of the booking is closed at Stripe."""
    from bookings import tasks

    Booking.objects.filter(pk=pending_booking.pk).update(checkout_session_id="cs_test_to_close")
    with time_machine.travel(pending_booking.expires_at + timedelta(seconds=1)):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert expiry.expire_booking(pending_booking.pk)
    assert len(callbacks) == 1  # the expire_stripe_session task is sent after commit
    stripe_api.post(f"{STRIPE}/v1/checkout/sessions/cs_test_to_close/expire", json={**SESSION, "status": "expired"})

    tasks.expire_stripe_session.apply(args=[str(pending_booking.pk)])

    assert [c.request.url for c in stripe_api.calls] == [f"{STRIPE}/v1/checkout/sessions/cs_test_to_close/expire"]


def test_expiring_a_session_stripe_already_closed_is_fine(pending_booking, stripe_gateway, stripe_api):
    from bookings import tasks

    Booking.objects.filter(pk=pending_booking.pk).update(checkout_session_id="cs_done")
    stripe_api.post(
        f"{STRIPE}/v1/checkout/sessions/cs_done/expire",
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "Only open sessions can be expired."}},
    )
    result = tasks.expire_stripe_session.apply(args=[str(pending_booking.pk)])
    assert result.successful()
    assert len(stripe_api.calls) == 1
