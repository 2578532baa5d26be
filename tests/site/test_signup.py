"""Sign-up and sign-in on the site (finding 2): the `email_verification` email and its link,
answers that do not reveal a registered address, reserved provider usernames, and per-address
throttles of sign-ups and failed sign-ins."""

import re

import pytest
from django.core import signing
from django.test import Client

from accounts.models import User
from notifications import delivery
from notifications.models import EmailMessage
from tests.factories import UserFactory
from tests.notifications.conftest import accepting_smtp, smtp_factory, use_providers  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"
VERIFY_LINK = re.compile(r"http://testserver/accounts/verify/[^/\s\"<>]+/")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def form(username="grace", email="grace@example.com", password="a-long-Pa55word"):
    return {"username": username, "email": email, "first_name": "Grace", "password1": password, "password2": password}


def delivered(smtp):
    """Deliver every pending row to the SMTP server; the messages it received."""
    for message in EmailMessage.objects.filter(status="pending"):
        assert delivery.deliver(message.pk).status == "sent"
    return [m["message"] for m in smtp.messages]


@pytest.fixture
def smtp(accepting_smtp, use_providers):  # noqa: F811
    use_providers(accepting_smtp)
    return accepting_smtp


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
        }

    from django.core.cache import cache

    cache.clear()
    yield set_rates
    cache.clear()


# --- the verification email and its link ---------------------------------------------------


def test_a_sign_up_gets_an_email_verification_email_whose_link_verifies_the_address(client, smtp):
    response = client.post(SIGNUP, form())

    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    user = User.objects.get(username="grace")
    assert user.email_verified_at is None
    [row] = EmailMessage.objects.filter(kind="email_verification")
    assert (row.to, row.user_id, row.language) == ("grace@example.com", user.pk, "en")
    [received] = delivered(smtp)
    assert received["Subject"] == "Confirm your email address for Cinema Paradiso"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    [link] = VERIFY_LINK.findall(text)
    assert link in html

    verified = client.get(link.removeprefix("http://testserver"))
    assert verified.status_code == 200 and "Email address confirmed" in verified.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert client.post(LOGIN, {"username": "grace", "password": "a-long-Pa55word"}).status_code == 302


def test_a_vietnamese_sign_up_gets_it_in_vietnamese(client, smtp):
    client.post(SIGNUP, form(), HTTP_ACCEPT_LANGUAGE="vi")
    [received] = delivered(smtp)
    assert "Xác nhận địa chỉ email" in received["Subject"]
    assert "Hãy xác nhận địa chỉ này" in received.get_body(("plain",)).get_content()


def test_a_forged_or_stale_link_verifies_nothing(client):
    user = UserFactory(email="ada@example.com", email_verified_at=None)
    from accounts.services import email_verification_token

    token = email_verification_token(user)
    assert client.get(f"/accounts/verify/{token[:-2]}xx/").status_code == 400
    User.objects.filter(pk=user.pk).update(email="new@example.com")  # the address changed since
    assert client.get(f"/accounts/verify/{token}/").status_code == 400
    forged = signing.dumps({"u": user.pk, "e": "new@example.com"}, salt="another.salt", compress=True)
    assert client.get(f"/accounts/verify/{forged}/").status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


# --- a registered address is not revealed ----------------------------------------------------------


def test_signing_up_with_a_registered_address_answers_the_same_and_mails_the_owner(client, smtp):
    owner = UserFactory(username="ada", email="ada@example.com")
    new = Client().post(SIGNUP, form(username="newcomer", email="fresh@example.com"))
    known = Client().post(SIGNUP, form(username="intruder", email="ADA@example.com"))

    assert known.status_code == new.status_code == 200
    same_page = CSRF.sub("", known.content.decode()).replace("ADA@example.com", "fresh@example.com")
    assert same_page == CSRF.sub("", new.content.decode())
    assert not User.objects.filter(username="intruder").exists()
    rows = EmailMessage.objects.filter(kind="email_verification").order_by("pk")
    assert [(r.to, r.user_id) for r in rows] == [
        ("fresh@example.com", User.objects.get(username="newcomer").pk), (owner.email, owner.pk),
    ]
    by_address = {str(m["To"]): m for m in delivered(smtp)}
    fresh, to_owner = by_address["fresh@example.com"], by_address[owner.email]
    assert fresh["Subject"] == to_owner["Subject"]  # the same kind of email either way
    owner_text = to_owner.get_body(("plain",)).get_content()
    assert "already has an account" in owner_text and "http://testserver/accounts/login/" in owner_text
    assert not VERIFY_LINK.search(owner_text)  # nothing that would verify the address for someone else


# --- provider usernames -------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["clerk_user_2abc", "Clerk_x", "CLERK_"])
def test_a_provider_username_cannot_be_taken_at_sign_up(client, username):
    response = client.post(SIGNUP, form(username=username))
    assert response.status_code == 200
    assert "This username is not available" in response.content.decode()
    assert not User.objects.filter(username__iexact=username).exists()
    assert not EmailMessage.objects.exists()


# --- throttles ------------------------------------------------------------------------------------


def test_sign_ups_are_throttled_per_client_address(rates):
    rates(signup="3/hour")
    here, elsewhere = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.9")
    codes = [here.post(SIGNUP, form(username=f"u{i}", email=f"u{i}@example.com")).status_code for i in range(3)]
    refused = here.post(SIGNUP, form(username="u9", email="u9@example.com"))

    assert codes == [200, 200, 200]
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many attempts" in refused.content.decode()
    assert not User.objects.filter(username="u9").exists()
    assert elsewhere.post(SIGNUP, form(username="u8", email="u8@example.com")).status_code == 200


def test_failed_sign_ins_are_throttled_per_client_address_on_the_site_and_the_admin(rates):
    rates(signin_failure="3/hour")
    user = UserFactory(username="ada", is_staff=True, is_superuser=True)
    good = {"username": "ada", "password": "pw-12345678"}
    here, elsewhere = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="198.51.100.9")

    assert here.post(LOGIN, good).status_code == 302  # a success does not count
    here.post("/accounts/logout/")
    assert [here.post(LOGIN, {**good, "password": "wrong"}).status_code for _ in range(3)] == [200, 200, 200]
    refused = here.post(LOGIN, good)  # even the right password, from this address
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert "_auth_user_id" not in here.session
    admin = here.post("/admin/login/?next=/admin/", {**good, "this_is_the_login_form": "1", "next": "/admin/"})
    assert admin.status_code == 200 and "_auth_user_id" not in here.session  # refused there too

    assert elsewhere.post(LOGIN, good).status_code == 302
    assert int(elsewhere.session["_auth_user_id"]) == user.pk
