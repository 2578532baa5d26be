"""POST /api/v1/webhooks/clerk/: Svix verification, storing once, enqueueing after commit."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ClerkEvent, User

from tests.support.clerk import WEBHOOK_URL, new_svix_secret, svix_headers, user_event

pytestmark = pytest.mark.django_db


def assert_refused(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["detail"]
    assert ClerkEvent.objects.count() == 0
    assert not User.objects.filter(clerk_id__isnull=False).exists()


def test_a_signed_delivery_is_stored_and_enqueued_once_committed(post_event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(user_event("user.created", "user_1"), msg_id="msg_a")

    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    event = ClerkEvent.objects.get(svix_id="msg_a")
    assert (event.type, event.clerk_user_id, event.status) == ("user.created", "user_1", "pending")
    assert event.payload["data"]["primary_email_address_id"] == "idn_primary"
    assert len(callbacks) == 1  # accounts.sync_user, sent after commit
    # Storing is all the request does: the user appears when the task runs.
    assert not User.objects.filter(clerk_id="user_1").exists()


def test_a_duplicate_delivery_answers_200_and_does_nothing(post_event, django_capture_on_commit_callbacks):
    post_event(user_event("user.created", "user_1"), msg_id="msg_a")
    with django_capture_on_commit_callbacks() as callbacks:
        again = post_event(user_event("user.created", "user_1", email="changed@example.com"), msg_id="msg_a")

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert ClerkEvent.objects.count() == 1
    assert ClerkEvent.objects.get().payload["data"]["email_addresses"][1]["email_address"] == "user_1@example.com"
    assert callbacks == []


def test_the_webhook_needs_no_csrf_token_nor_session(post_event, user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = post_event(user_event("user.created", "user_1"), client=client)
    assert response.status_code == 200


def test_503_while_the_secret_is_unset(settings, post_event):
    body = user_event("user.created", "user_1")
    settings.CLERK_WEBHOOK_SECRET = ""
    response = post_event(body, secret=new_svix_secret())
    assert_refused(response, 503, "webhook_not_configured")


def test_a_signature_made_with_another_secret_is_refused(post_event):
    response = post_event(user_event("user.created", "user_1"), secret=new_svix_secret())
    assert_refused(response, 400, "invalid_signature")


def test_a_tampered_body_is_refused(clerk_secret):
    signed = json.dumps(user_event("user.created", "user_1"))
    headers = svix_headers(signed, secret=clerk_secret)
    tampered = signed.replace("user_1@example.com", "evil@example.com")
    response = APIClient().post(WEBHOOK_URL, data=tampered, content_type="application/json", **headers)
    assert_refused(response, 400, "invalid_signature")


@pytest.mark.parametrize("header", ["svix-id", "svix-timestamp", "svix-signature"])
def test_a_missing_header_is_refused(post_event, header):
    response = post_event(user_event("user.created", "user_1"), drop=[header])
    assert_refused(response, 400, "invalid_signature")


def test_a_garbled_signature_header_is_a_400_not_a_500(clerk_secret):
    body = json.dumps(user_event("user.created", "user_1"))
    headers = svix_headers(body, secret=clerk_secret)
    for garbled in ("nonsense", "v1,%%%not-base64", "v1,a,b", "v2,abc"):
        headers["HTTP_SVIX_SIGNATURE"] = garbled
        response = APIClient().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
        assert_refused(response, 400, "invalid_signature")
    headers = svix_headers(body, secret=clerk_secret)
    headers["HTTP_SVIX_TIMESTAMP"] = "yesterday"
    response = APIClient().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
    assert_refused(response, 400, "invalid_signature")


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)], ids=["stale", "future"])
def test_a_timestamp_more_than_five_minutes_off_is_refused(post_event, offset):
    signed_at = timezone.now() + offset
    response = post_event(user_event("user.created", "user_1"), timestamp=signed_at)
    assert_refused(response, 400, "invalid_signature")


@pytest.mark.parametrize("offset", [timedelta(minutes=-4), timedelta(minutes=4)], ids=["past", "future"])
def test_a_timestamp_within_five_minutes_is_accepted(post_event, offset):
    response = post_event(user_event("user.created", "user_1"), timestamp=timezone.now() + offset)
    assert response.status_code == 200


def test_a_replayed_delivery_is_refused_once_its_timestamp_is_old(clerk_secret):
    """A captured request cannot be sent again later: the signature covers the timestamp."""
    body = json.dumps(user_event("user.created", "user_1"))
    headers = svix_headers(body, secret=clerk_secret, msg_id="msg_captured")
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = APIClient().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
    assert_refused(response, 400, "invalid_signature")


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "user.created"},
        {"type": "user.updated", "data": {"first_name": "No id"}},
        {"data": {"id": "user_1"}},
        ["not", "an", "object"],
    ],
)
def test_a_signed_body_that_is_not_a_user_event_is_a_400(post_event, payload):
    response = post_event(payload)
    assert_refused(response, 400, "invalid_payload")


def test_a_signed_body_that_is_not_json_is_a_400(clerk_secret):
    body = "not json at all"
    headers = svix_headers(body, secret=clerk_secret)
    response = APIClient().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
    assert_refused(response, 400, "invalid_payload")


def test_an_event_type_we_do_not_handle_is_stored_as_ignored_and_not_enqueued(
    post_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event({"type": "session.created", "data": {"id": "sess_1", "user_id": "user_1"}})
    assert response.status_code == 200
    event = ClerkEvent.objects.get()
    assert event.status == ClerkEvent.Status.IGNORED
    assert "not handled" in event.last_error
    assert callbacks == []


def test_get_is_not_allowed(clerk_secret):
    assert APIClient().get(WEBHOOK_URL).status_code == 405


def test_a_user_id_too_long_to_store_is_a_400(post_event):
    response = post_event(user_event("user.created", "user_" + "x" * 80))
    assert_refused(response, 400, "invalid_payload")


@pytest.mark.postgres
def test_a_nul_character_postgresql_cannot_store_is_a_400(post_event):
    response = post_event(user_event("user.created", "user_1", first_name="A\u0000da"))
    assert_refused(response, 400, "invalid_payload")


def test_one_good_signature_among_several_is_enough(clerk_secret):
    """Svix sends one signature per active secret during a rotation, separated by spaces."""
    body = json.dumps(user_event("user.created", "user_1"))
    headers = svix_headers(body, secret=clerk_secret, msg_id="msg_rotated")
    stale = svix_headers(body, secret=new_svix_secret(), msg_id="msg_rotated")["HTTP_SVIX_SIGNATURE"]
    headers["HTTP_SVIX_SIGNATURE"] = f"{stale} {headers['HTTP_SVIX_SIGNATURE']}"
    response = APIClient().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 200
    assert ClerkEvent.objects.filter(svix_id="msg_rotated").exists()


@pytest.mark.parametrize("depth", [100_000, 950])
def test_a_signed_but_deeply_nested_body_is_a_400_and_stores_nothing(client, clerk_secret, depth):
    """json.loads raises RecursionError on deep nesting (and a body just under Python's limit
    fails later, when it is dumped for the database): a 400, never a 500."""
    body = '{"type": "user.created", "data": {"id": "user_deep", "updated_at": 1, "x": ' + "[" * depth + "]" * depth + "}}"
    client.raise_request_exception = False
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", **svix_headers(body, secret=clerk_secret))

    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "invalid_payload"
    assert set(response.json()) == {"detail", "code"}
    assert not ClerkEvent.objects.exists()
