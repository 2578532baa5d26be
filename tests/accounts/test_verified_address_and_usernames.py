"""The provider's verified primary address marks a user verified (finding 2), and a provider
user whose `clerk_<id>` username is already taken by a local account is still created: a
bearer request never fails with a 500 on that collision."""

import pytest
from django.utils import timezone

from accounts.models import User
from tests.factories import UserFactory

from tests.support.clerk import ME_URL, T0, user_event

pytestmark = pytest.mark.django_db


def with_verification(payload, status):
    for entry in payload["data"]["email_addresses"]:
        entry["verification"] = {"status": status, "strategy": "email_code"}
    return payload


def test_the_verified_primary_address_marks_the_user_verified(deliver):
    deliver(with_verification(user_event("user.created", "user_v"), "verified"))
    assert User.objects.get(clerk_id="user_v").email_verified_at is not None


@pytest.mark.parametrize("status", ["unverified", "expired", None])
def test_an_unverified_primary_address_does_not(deliver, status):
    payload = user_event("user.created", "user_u")
    if status is not None:
        with_verification(payload, status)
    deliver(payload)
    assert User.objects.get(clerk_id="user_u").email_verified_at is None


def test_a_verified_address_that_changes_to_an_unverified_one_is_unverified_again(deliver):
    deliver(with_verification(user_event("user.created", "user_c", email="a@example.com"), "verified"))
    deliver(with_verification(user_event("user.updated", "user_c", email="b@example.com", updated_at=T0 + 1), "unverified"))
    user = User.objects.get(clerk_id="user_c")
    assert (user.email, user.email_verified_at) == ("b@example.com", None)


def test_only_the_primary_entrys_verification_counts(deliver):
    payload = user_event("user.created", "user_p")
    other, primary = payload["data"]["email_addresses"]
    other["verification"] = {"status": "verified"}
    primary["verification"] = {"status": "unverified"}
    deliver(payload)
    assert User.objects.get(clerk_id="user_p").email_verified_at is None


def test_a_taken_provider_username_does_not_make_a_bearer_request_a_500(make_token, bearer_client):
    squatter = UserFactory(username="clerk_user_taken")  # from before sign-ups refused the prefix

    response = bearer_client(make_token("user_taken")).get(ME_URL)

    assert response.status_code == 200, response.content
    user = User.objects.get(clerk_id="user_taken")
    assert response.json()["id"] == user.pk != squatter.pk
    assert user.username.startswith("clerk_user_taken_")
    assert bearer_client(make_token("user_taken")).get(ME_URL).json()["id"] == user.pk


def test_a_taken_provider_username_does_not_fail_the_webhook_sync(deliver):
    UserFactory(username="clerk_user_taken2", email_verified_at=timezone.now())
    event = deliver(user_event("user.created", "user_taken2", email="real@example.com"))
    event.refresh_from_db()
    assert event.status == "processed"
    assert User.objects.get(clerk_id="user_taken2").email == "real@example.com"
