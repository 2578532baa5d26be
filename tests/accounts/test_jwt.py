"""Bearer session JWTs (RS256, verified offline): who gets in, who is refused with 401."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import ClerkEvent, User

from tests.support.clerk import ME_URL, user_event

pytestmark = pytest.mark.django_db


def now_ts(delta=timedelta()):
    return int((timezone.now() + delta).timestamp())


def assert_401(response, code):
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_signs_in_and_creates_the_user_on_first_sight(make_token, bearer_client):
    response = bearer_client(make_token("user_jit")).get(ME_URL)

    assert response.status_code == 200, response.content
    user = User.objects.get(clerk_id="user_jit")
    assert response.json()["id"] == user.pk
    assert user.email == "" and user.last_synced_at is None
    assert (user.marketing_opt_in, user.is_active) == (False, True)

    # The next request finds the same row.
    assert bearer_client(make_token("user_jit")).get(ME_URL).json()["id"] == user.pk
    assert User.objects.filter(clerk_id="user_jit").count() == 1


def test_a_jit_user_is_completed_by_the_provider_event(make_token, bearer_client, deliver):
    bearer_client(make_token("user_jit")).get(ME_URL)
    jit_pk = User.objects.get(clerk_id="user_jit").pk

    event = deliver(user_event("user.created", "user_jit", email="grace@example.com", first_name="Grace"))

    assert event.status == ClerkEvent.Status.PROCESSED
    user = User.objects.get(clerk_id="user_jit")
    assert user.pk == jit_pk
    assert (user.email, user.first_name, user.last_synced_at is not None) == ("grace@example.com", "Grace", True)
    me = bearer_client(make_token("user_jit")).get(ME_URL).json()
    assert (me["id"], me["email"]) == (jit_pk, "grace@example.com")


def test_an_expired_token_is_refused(make_token, bearer_client):
    token = make_token("user_1", exp=now_ts(-timedelta(minutes=1)))
    assert_401(bearer_client(token).get(ME_URL), "token_expired")
    assert not User.objects.filter(clerk_id="user_1").exists()


def test_a_token_expires_with_the_clock(make_token, bearer_client):
    token = make_token("user_1")  # valid for 60 s
    assert bearer_client(token).get(ME_URL).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert_401(bearer_client(token).get(ME_URL), "token_expired")


def test_a_token_not_yet_valid_is_refused(make_token, bearer_client):
    token = make_token("user_1", nbf=now_ts(timedelta(minutes=5)))
    assert_401(bearer_client(token).get(ME_URL), "invalid_token")


def test_a_token_for_another_party_is_refused(settings, make_token, bearer_client):
    settings.CLERK_AUTHORIZED_PARTIES = ["https://cinema.example"]
    assert_401(bearer_client(make_token("user_1", azp="https://evil.example")).get(ME_URL), "invalid_token")
    assert bearer_client(make_token("user_1", azp="https://cinema.example")).get(ME_URL).status_code == 200
    # azp is checked when present; Clerk's backend-issued tokens may carry none.
    assert bearer_client(make_token("user_1")).get(ME_URL).status_code == 200


def test_a_token_signed_with_another_key_is_refused(make_token, bearer_client, foreign_key):
    assert_401(bearer_client(make_token("user_1", key=foreign_key)).get(ME_URL), "invalid_token")
    assert not User.objects.filter(clerk_id="user_1").exists()


def test_a_garbled_or_unsigned_token_is_refused(make_token, bearer_client):
    import jwt

    unsigned = jwt.encode({"sub": "user_1", "exp": now_ts(timedelta(minutes=1))}, None, algorithm="none")
    assert_401(bearer_client(unsigned).get(ME_URL), "invalid_token")
    assert_401(bearer_client("not.a.jwt").get(ME_URL), "invalid_token")
    assert_401(bearer_client(make_token("")).get(ME_URL), "invalid_token")


def test_a_token_without_exp_is_refused(make_token, bearer_client):
    assert_401(bearer_client(make_token("user_1", exp=None)).get(ME_URL), "invalid_token")


def test_a_deleted_users_token_is_refused(make_token, bearer_client, deliver):
    token = make_token("user_1")
    assert bearer_client(token).get(ME_URL).status_code == 200

    deliver(user_event("user.deleted", "user_1"))

    assert_401(bearer_client(token).get(ME_URL), "user_inactive")


def test_a_token_of_a_user_deleted_before_ever_signing_in_is_refused(make_token, bearer_client, deliver):
    deliver(user_event("user.deleted", "user_gone"))
    assert_401(bearer_client(make_token("user_gone")).get(ME_URL), "user_inactive")
    assert User.objects.filter(clerk_id="user_gone").count() == 1


def test_an_inactive_users_token_is_refused(make_token, bearer_client, user):
    User.objects.filter(pk=user.pk).update(clerk_id="user_off", is_active=False)
    assert_401(bearer_client(make_token("user_off")).get(ME_URL), "user_inactive")


def test_bearer_tokens_are_refused_while_no_key_is_configured(settings, make_token, bearer_client):
    token = make_token("user_1")
    settings.CLERK_JWT_KEY = ""
    assert_401(bearer_client(token).get(ME_URL), "invalid_token")
    assert not User.objects.filter(clerk_id="user_1").exists()


def test_a_deleted_users_drf_token_and_session_stop_working(deliver, user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    User.objects.filter(pk=user.pk).update(clerk_id="user_1")
    token = Token.objects.create(user=user)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    by_session = APIClient()
    by_session.force_login(user)
    assert by_token.get(ME_URL).status_code == 200
    assert by_session.get(ME_URL).status_code == 200

    deliver(user_event("user.deleted", "user_1"))

    assert by_token.get(ME_URL).status_code == 401
    assert by_session.get(ME_URL).status_code == 401
