"""POST /api/v1/webhooks/stripe/: verify the signature on the raw body, store once, enqueue, 200."""

import json
import time

import pytest
import redis

from bookings.models import Booking, StripeEvent
from tests.support.stripe import WEBHOOK, deliver, make_event, session_of, sign


def queued_tasks(redis_url, queue="payments"):
    """Task names waiting in a real Redis queue (kombu's JSON envelope)."""
    client = redis.Redis.from_url(redis_url)
    return [json.loads(raw)["headers"]["task"] for raw in client.lrange(queue, 0, -1)]


@pytest.fixture
def event(pending_booking):
    return make_event("checkout.session.completed", session_of(pending_booking))


def test_good_signature_is_stored_and_enqueued_after_commit(
    anon_client, event, celery_app, redis_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = deliver(anon_client, event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.type == "checkout.session.completed"
    assert stored.status == StripeEvent.Status.PENDING
    assert stored.payload == event
    assert len(callbacks) == 1
    assert queued_tasks(redis_url) == ["bookings.process_stripe_event"]


def test_the_webhook_only_stores_processing_is_the_tasks(anon_client, event, pending_booking, celery_app):
    deliver(anon_client, event)
    assert Booking.objects.get(pk=pending_booking.pk).status == Booking.Status.PENDING


@pytest.mark.parametrize(
    "case",
    ["wrong_secret", "stale_timestamp", "missing_header", "garbled_header", "tampered_body"],
)
def test_bad_signatures_are_refused_and_change_nothing(
    case, anon_client, event, celery_app, redis_url, django_capture_on_commit_callbacks
):
    payload = json.dumps(event)
    if case == "wrong_secret":
        header = sign(payload, secret="whsec_someone_else")
    elif case == "stale_timestamp":
        header = sign(payload, timestamp=int(time.time()) - 301)
    elif case == "missing_header":
        header = None
    elif case == "garbled_header":
        header = "v1=nothing-useful"
    else:
        header = sign(payload)
        payload = payload.replace('"paid"', '"PAID"')
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(WEBHOOK, data=payload, content_type="application/json", **extra)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_signature"
    assert body["detail"]
    assert not StripeEvent.objects.exists()
    assert queued_tasks(redis_url) == []


@pytest.mark.parametrize(
    "payload",
    ["this is not json", "[1, 2]", '"a string"', '{"object": "event", "type": "x"}', '{"id": 5, "object": "event"}'],
)
def test_a_signed_body_that_is_not_an_event_is_a_400(payload, anon_client, db):
    response = anon_client.post(
        WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not StripeEvent.objects.exists()


def test_a_signature_within_tolerance_is_accepted(anon_client, event, celery_app):
    assert deliver(anon_client, event, timestamp=int(time.time()) - 250).status_code == 200


def test_a_duplicate_answers_200_and_does_nothing(
    anon_client, event, celery_app, redis_url, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(anon_client, event).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        second = deliver(anon_client, event)

    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert StripeEvent.objects.filter(pk=event["id"]).count() == 1
    assert queued_tasks(redis_url) == ["bookings.process_stripe_event"]  # enqueued once


def test_webhook_needs_no_csrf_token_nor_credentials(event, celery_app):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = deliver(client, event)
    assert response.status_code == 200


def test_webhook_stays_up_when_the_broker_is_down(anon_client, event, settings, django_capture_on_commit_callbacks):
    """The row is the truth: with Redis away the event is stored (the sweep sends it later)."""
    from config.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.pool.force_close_all()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(anon_client, event)
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
        app.pool.force_close_all()
    assert response.status_code == 200
    assert StripeEvent.objects.filter(pk=event["id"], status=StripeEvent.Status.PENDING).exists()
