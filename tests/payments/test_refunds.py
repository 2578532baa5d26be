"""Refunds: the policy at each boundary (through the cancel API), and bookings.refund_booking
calling Stripe's API (mocked at HTTP) once, with its idempotency key, retrying with backoff."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import time_machine

from bookings import tasks
from bookings.models import Booking
from tests.factories import ShowtimeFactory
from tests.support.stripe import STRIPE, make_event, store_and_process
from tests.support.urls import booking_url

REFUNDS = f"{STRIPE}/v1/refunds"


def refund_json(status="succeeded", refund_id="re_123", amount=1900):
    return {"id": refund_id, "object": "refund", "status": status, "amount": amount}


@pytest.fixture
def paid_vnd(hold, user, pay):
    showtime = ShowtimeFactory(price=Decimal("95000"), currency="vnd")
    return pay(hold(user, showtime, n=2))


@pytest.mark.parametrize(
    "before_start, http, refund",
    [
        (timedelta(hours=48), 200, "19.00"),
        (timedelta(hours=24), 200, "19.00"),  # exactly 24 h: still in full
        (timedelta(hours=24) - timedelta(seconds=1), 200, "9.50"),
        (timedelta(hours=2), 200, "9.50"),  # exactly 2 h: still half
        (timedelta(hours=2) - timedelta(seconds=1), 409, None),  # too late
    ],
)
def test_refund_policy_at_each_boundary(before_start, http, refund, paid_booking, user_client, stripe_gateway, stripe_api):
    starts_at = paid_booking.showtime.starts_at
    stripe_api.post(REFUNDS, json=refund_json(amount=0))
    with time_machine.travel(starts_at - before_start, tick=False):
        response = user_client.post(booking_url(paid_booking, "cancel"))

    assert response.status_code == http
    booking = Booking.objects.get(pk=paid_booking.pk)
    if http == 409:
        assert response.json()["code"] == "too_late"
        assert booking.status == Booking.Status.PAID
        assert booking.refund_status == Booking.RefundStatus.NONE
        return
    assert response.json() == {"status": "cancelled", "refund_amount": refund}
    assert booking.refund_status == Booking.RefundStatus.PENDING

    tasks.refund_booking.apply(args=[str(booking.pk)])

    form = parse_qs(stripe_api.calls[0].request.body)
    assert form["amount"] == [str(int(Decimal(refund) * 100))]
    assert form["payment_intent"] == [booking.payment_intent_id]
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED


def test_refund_in_minor_units_of_a_zero_decimal_currency(paid_vnd, user_client, stripe_gateway, stripe_api):
    stripe_api.post(REFUNDS, json=refund_json(amount=95000))
    with time_machine.travel(paid_vnd.showtime.starts_at - timedelta(hours=3), tick=False):
        assert user_client.post(booking_url(paid_vnd, "cancel")).json()["refund_amount"] == "95000"
    tasks.refund_booking.apply(args=[str(paid_vnd.pk)])
    assert parse_qs(stripe_api.calls[0].request.body)["amount"] == ["95000"]  # whole dong, half of 190000


def cancel(booking, client):
    assert client.post(booking_url(booking, "cancel")).status_code == 200
    return Booking.objects.get(pk=booking.pk)


def test_refund_is_made_once_with_its_idempotency_key(paid_booking, user_client, stripe_gateway, stripe_api):
    stripe_api.post(REFUNDS, json=refund_json())
    booking = cancel(paid_booking, user_client)

    tasks.refund_booking.apply(args=[str(booking.pk)])
    tasks.refund_booking.apply(args=[str(booking.pk)])  # a redelivery: nothing left to do

    assert len(stripe_api.calls) == 1
    assert stripe_api.calls[0].request.headers["Idempotency-Key"] == f"refund:{booking.pk}"
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED
    assert booking.stripe_refund_id == "re_123"


def test_transient_failures_are_retried_under_the_same_key(paid_booking, user_client, stripe_gateway, stripe_api):
    error = {"error": {"type": "api_error", "message": "try again"}}
    stripe_api.post(REFUNDS, status=500, json=error)
    stripe_api.post(REFUNDS, status=429, json={"error": {"type": "rate_limit_error", "message": "slow down"}})
    stripe_api.post(REFUNDS, json=refund_json())
    booking = cancel(paid_booking, user_client)

    tasks.refund_booking.apply(args=[str(booking.pk)])  # eager: the retries run at once

    assert len(stripe_api.calls) == 3
    assert {c.request.headers["Idempotency-Key"] for c in stripe_api.calls} == {f"refund:{booking.pk}"}
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED


def test_repeated_failure_ends_failed_with_the_error(paid_booking, user_client, stripe_gateway, stripe_api):
    stripe_api.post(REFUNDS, status=500, json={"error": {"type": "api_error", "message": "Stripe is down"}})
    booking = cancel(paid_booking, user_client)

    tasks.refund_booking.apply(args=[str(booking.pk)])

    assert len(stripe_api.calls) == tasks.refund_booking.max_retries + 1
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.FAILED
    assert "Stripe is down" in booking.refund_error


def test_a_refusal_is_not_retried(paid_booking, user_client, stripe_gateway, stripe_api):
    stripe_api.post(
        REFUNDS, status=400, json={"error": {"type": "invalid_request_error", "message": "No such payment_intent"}}
    )
    booking = cancel(paid_booking, user_client)
    tasks.refund_booking.apply(args=[str(booking.pk)])
    assert len(stripe_api.calls) == 1
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.FAILED
    assert "No such payment_intent" in booking.refund_error


def test_a_refund_stripe_reports_pending_is_completed_by_charge_refunded(
    paid_booking, user_client, stripe_gateway, stripe_api
):
    stripe_api.post(REFUNDS, json=refund_json(status="pending", refund_id="re_slow"))
    booking = cancel(paid_booking, user_client)
    tasks.refund_booking.apply(args=[str(booking.pk)])
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.PENDING
    assert booking.stripe_refund_id == "re_slow"

    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": booking.payment_intent_id,
        "amount_refunded": 1900,
        "currency": "usd",
        "refunds": {"data": [{"id": "re_slow", "status": "succeeded"}]},
    }
    store_and_process(make_event("charge.refunded", charge))
    store_and_process(make_event("charge.refunded", charge))  # its twin changes nothing
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED
    assert booking.refund_amount == Decimal("19.00")  # the policy's amount, not overwritten
    assert "outside this site" not in booking.payment_issue


def test_a_refund_without_payment_intent_looks_it_up_from_the_session(
    paid_booking, user_client, stripe_gateway, stripe_api
):
    Booking.objects.filter(pk=paid_booking.pk).update(payment_intent_id="", checkout_session_id="cs_test_lookup")
    stripe_api.get(
        f"{STRIPE}/v1/checkout/sessions/cs_test_lookup",
        json={"id": "cs_test_lookup", "object": "checkout.session", "payment_intent": "pi_from_session"},
    )
    stripe_api.post(REFUNDS, json=refund_json())
    booking = cancel(paid_booking, user_client)
    tasks.refund_booking.apply(args=[str(booking.pk)])
    assert parse_qs(stripe_api.calls[-1].request.body)["payment_intent"] == ["pi_from_session"]
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED


def test_local_refunds_succeed_at_once(paid_booking, user_client):
    booking = cancel(paid_booking, user_client)
    tasks.refund_booking.apply(args=[str(booking.pk)])
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED
    assert booking.stripe_refund_id.startswith("re_local_")


def test_a_free_cancellation_calls_no_gateway(pending_booking, user_client, stripe_gateway, stripe_api):
    booking = cancel(pending_booking, user_client)
    tasks.refund_booking.apply(args=[str(booking.pk)])
    assert booking.refund_status == Booking.RefundStatus.NONE
    assert len(stripe_api.calls) == 0


def test_a_pending_refund_that_fails_later_is_marked_failed(paid_booking, user_client, stripe_gateway, stripe_api):
    stripe_api.post(REFUNDS, json=refund_json(status="pending", refund_id="re_doomed"))
    booking = cancel(paid_booking, user_client)
    tasks.refund_booking.apply(args=[str(booking.pk)])

    refund = {"id": "re_doomed", "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card"}
    store_and_process(make_event("refund.failed", refund))

    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.FAILED
    assert "expired_or_canceled_card" in booking.refund_error
