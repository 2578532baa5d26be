"""Signed unsubscribe links: the token is the proof (RFC 8058 one-click needs no session).

A user's link signs their id; a campaign recipient who may have no account gets a link that
signs the address itself."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"
ADDRESS_SALT = "notifications.unsubscribe.address"


def make_token(user_id):
    return signing.Signer(salt=SALT).sign(str(user_id))


def read_token(token):
    """The user id a token was made for; raises signing.BadSignature for a forged one."""
    value = signing.Signer(salt=SALT).unsign(token)
    if not value.isdigit():
        raise signing.BadSignature("not a user id")
    return int(value)


def make_address_token(email):
    return signing.dumps(email.strip().lower(), salt=ADDRESS_SALT, compress=True)


def read_address_token(token):
    """The address a token was made for; raises signing.BadSignature for a forged one."""
    value = signing.loads(token, salt=ADDRESS_SALT)
    if not isinstance(value, str) or "@" not in value:
        raise signing.BadSignature("not an address")
    return value


TOKEN_SLOT = "TOKEN"


def unsubscribe_url(user_id, base=None):
    """The absolute link for `user_id`. `unsubscribe_url(None)` is a base with a TOKEN slot,
    reversed once, that a fan-out passes back in as `base` for each recipient."""
    base = base or settings.SITE_URL + reverse("notifications:unsubscribe", args=[TOKEN_SLOT])
    return base if user_id is None else base.replace(TOKEN_SLOT, make_token(user_id))


def address_unsubscribe_url(email, base=None):
    return unsubscribe_url(None, base=base).replace(TOKEN_SLOT, make_address_token(email))


def list_unsubscribe_headers(url):
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
