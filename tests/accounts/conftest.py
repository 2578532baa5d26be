"""Fixtures for the accounts tests: Svix-signed Clerk deliveries and RS256 session tokens."""

import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ClerkEvent
from tests.support.clerk import WEBHOOK_URL, new_svix_secret, next_msg_id, svix_headers


@pytest.fixture
def clerk_secret(settings):
    settings.CLERK_WEBHOOK_SECRET = new_svix_secret()
    return settings.CLERK_WEBHOOK_SECRET


@pytest.fixture
def post_event(clerk_secret):
    """post_event(payload, msg_id=None, timestamp=None, secret=None, drop=()) -> the response.

    Signs the exact body with svix's own `Webhook.sign`; `drop` removes headers by name."""

    def post(payload, *, msg_id=None, timestamp=None, secret=None, drop=(), client=None):
        body = json.dumps(payload)
        headers = svix_headers(body, secret=secret or clerk_secret, msg_id=msg_id, timestamp=timestamp)
        for name in drop:
            headers.pop(f"HTTP_{name.upper().replace('-', '_')}")
        return (client or APIClient()).post(WEBHOOK_URL, data=body, content_type="application/json", **headers)

    return post


@pytest.fixture
def deliver(post_event):
    """deliver(payload, msg_id=None) -> the stored ClerkEvent after `accounts.sync_user` ran on it.

    The task is called in-process here (the tests that run a real worker say so); the enqueue
    itself is asserted separately."""
    from accounts.tasks import sync_user

    def run(payload, msg_id=None):
        msg_id = msg_id or next_msg_id("msg_deliver")
        response = post_event(payload, msg_id=msg_id)
        assert response.status_code == 200, response.content
        event = ClerkEvent.objects.get(svix_id=msg_id)
        sync_user(event.pk)
        event.refresh_from_db()
        return event

    return run


# --- session JWTs ----------------------------------------------------------------------------


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(private_key):
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="session")
def signing_key():
    """A throwaway RSA key standing in for the provider's instance key."""
    return _rsa_key()


@pytest.fixture(scope="session")
def foreign_key():
    """Another key: tokens signed with it must be refused."""
    return _rsa_key()


@pytest.fixture
def jwt_key(settings, signing_key):
    settings.CLERK_JWT_KEY = _public_pem(signing_key)
    settings.CLERK_AUTHORIZED_PARTIES = []
    return signing_key


@pytest.fixture
def make_token(jwt_key):
    """make_token(sub, key=None, **claims) -> an RS256 session token like Clerk's."""

    def make(sub, key=None, **claims):
        now = timezone.now()
        payload = {
            "sub": sub,
            "iat": int(now.timestamp()),
            "nbf": int((now - timedelta(seconds=10)).timestamp()),
            "exp": int((now + timedelta(seconds=60)).timestamp()),
            "iss": "https://clerk.example.test",
            "sid": "sess_test",
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or jwt_key, algorithm="RS256", headers={"kid": "ins_test"})

    return make


@pytest.fixture
def bearer_client():
    def make(token):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make
