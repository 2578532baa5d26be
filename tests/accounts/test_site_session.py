"""The browser site accepts the provider's session JWT (Clerk's `__session` cookie) beside Django's session."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db

MY_BOOKINGS = "/bookings/"


def client_with_session_cookie(token):
    client = Client()
    client.cookies["__session"] = token
    return client


def test_a_valid_provider_session_signs_the_visitor_in(make_token):
    response = client_with_session_cookie(make_token("user_site")).get(MY_BOOKINGS)

    assert response.status_code == 200
    assert User.objects.filter(clerk_id="user_site").count() == 1


def test_without_the_cookie_the_page_asks_to_sign_in(jwt_key):
    response = Client().get(MY_BOOKINGS)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize("problem", ["expired", "foreign key", "garbage"])
def test_a_bad_provider_session_leaves_the_visitor_anonymous(make_token, foreign_key, problem):
    token = {
        "expired": lambda: make_token("user_site", exp=int((timezone.now() - timedelta(minutes=1)).timestamp())),
        "foreign key": lambda: make_token("user_site", key=foreign_key),
        "garbage": lambda: "not.a.jwt",
    }[problem]()

    response = client_with_session_cookie(token).get(MY_BOOKINGS)

    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not User.objects.filter(clerk_id="user_site").exists()


def test_a_deleted_users_provider_session_is_refused(make_token):
    User.objects.create(username="clerk_gone", clerk_id="user_gone", is_active=False, deleted_at=timezone.now())

    response = client_with_session_cookie(make_token("user_gone")).get(MY_BOOKINGS)

    assert response.status_code == 302 and "/accounts/login/" in response.url
