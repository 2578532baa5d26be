"""Signed unsubscribe links: the token is the proof (RFC 8058 one-click needs no session)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"


def make_token(user_id):
    return signing.Signer(salt=SALT).sign(str(user_id))


def read_token(token):
    """The user id a token was made for; raises signing.BadSignature for a forged one."""
    value = signing.Signer(salt=SALT).unsign(token)
    if not value.isdigit():
        raise signing.BadSignature("not a user id")
    return int(value)


def unsubscribe_url(user_id):
    return settings.SITE_URL + reverse("notifications:unsubscribe", args=[make_token(user_id)])


def list_unsubscribe_headers(url):
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
