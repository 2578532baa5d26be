"""GET/PATCH /api/v1/me/: the user's own profile; only consent and language are theirs to change."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User

from tests.support.clerk import ME_URL

pytestmark = pytest.mark.django_db

FIELDS = {"id", "email", "first_name", "last_name", "marketing_opt_in", "language"}


def test_get_shows_the_profile(user_client, user):
    response = user_client.get(ME_URL)
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": user.email,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "marketing_opt_in": False,
        "language": "en",
    }


def test_patch_changes_consent_and_language(user_client, user):
    response = user_client.patch(ME_URL, {"marketing_opt_in": True, "language": "vi"}, format="json")

    assert response.status_code == 200, response.content
    assert set(response.json()) == FIELDS
    assert (response.json()["marketing_opt_in"], response.json()["language"]) == (True, "vi")
    user.refresh_from_db()
    assert (user.marketing_opt_in, user.language) == (True, "vi")

    response = user_client.patch(ME_URL, {"marketing_opt_in": False}, format="json")
    user.refresh_from_db()
    assert (user.marketing_opt_in, user.language) == (False, "vi")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"email": "new@example.com"}, "email"),
        ({"first_name": "Eve", "marketing_opt_in": True}, "first_name"),
        ({"last_name": "Eve"}, "last_name"),
        ({"id": 12345}, "id"),
        ({"is_staff": True}, "is_staff"),
    ],
)
def test_patching_anything_else_is_a_400_that_changes_nothing(user_client, user, changes, field):
    response = user_client.patch(ME_URL, changes, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "read_only"
    assert field in body and field in body["detail"]
    assert "marketing_opt_in and language" in body["detail"]
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.email, fresh.first_name, fresh.last_name, fresh.is_staff, fresh.marketing_opt_in) == (
        user.email, user.first_name, user.last_name, False, False,
    )


def test_an_unknown_language_is_a_clear_400(user_client, user):
    response = user_client.patch(ME_URL, {"language": "fr"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_choice"
    assert '"fr" is not a supported language; use "en" or "vi".' in body["detail"]
    assert User.objects.get(pk=user.pk).language == "en"


def test_a_non_boolean_consent_is_a_400(user_client, user):
    response = user_client.patch(ME_URL, {"marketing_opt_in": "maybe"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert User.objects.get(pk=user.pk).marketing_opt_in is False


def test_put_is_not_offered(user_client):
    assert user_client.put(ME_URL, {"language": "vi"}, format="json").status_code == 405


@pytest.mark.parametrize("method", ["get", "patch"])
def test_anonymous_callers_get_401(method):
    response = getattr(APIClient(), method)(ME_URL, {"language": "vi"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_drf_token_works_and_a_bad_one_is_401(user):
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(ME_URL).json()["id"] == user.pk
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get(ME_URL).status_code == 401


def test_the_session_cookie_needs_csrf_for_patch(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(ME_URL).status_code == 200
    assert client.patch(ME_URL, {"language": "vi"}, format="json").status_code == 403
    assert User.objects.get(pk=user.pk).language == "en"
