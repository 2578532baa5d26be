"""The auth provider (Clerk) as the tests meet it: user events and Svix-signed deliveries."""

import base64
import itertools
import os

from django.utils import timezone
from svix.webhooks import Webhook

WEBHOOK_URL = "/api/v1/webhooks/clerk/"
ME_URL = "/api/v1/me/"

_msg_ids = itertools.count(1)


def next_msg_id(prefix="msg_test"):
    """A fresh `svix-id` for a delivery."""
    return f"{prefix}{next(_msg_ids):06d}"
# Clerk's updated_at is milliseconds since the epoch.
T0 = 1_767_225_600_000


def new_svix_secret():
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def user_event(event_type, clerk_id, *, updated_at=T0, email=None, first_name="Ada", last_name="Lovelace"):
    """A Clerk webhook body shaped like the real one (only the fields we read, plus some noise)."""
    if event_type == "user.deleted":
        return {"type": event_type, "object": "event", "data": {"id": clerk_id, "object": "user", "deleted": True}}
    email = email if email is not None else f"{clerk_id}@example.com"
    return {
        "type": event_type,
        "object": "event",
        "data": {
            "id": clerk_id,
            "object": "user",
            "first_name": first_name,
            "last_name": last_name,
            # The primary address is deliberately not the first entry.
            "email_addresses": [
                {"id": "idn_other", "email_address": f"old-{email}", "object": "email_address"},
                {"id": "idn_primary", "email_address": email, "object": "email_address"},
            ],
            "primary_email_address_id": "idn_primary",
            "created_at": T0,
            "updated_at": updated_at,
        },
    }


def svix_headers(body, *, secret, msg_id=None, timestamp=None):
    msg_id = msg_id or next_msg_id()
    timestamp = timestamp or timezone.now()
    return {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(int(timestamp.timestamp())),
        "HTTP_SVIX_SIGNATURE": Webhook(secret).sign(msg_id, timestamp, body),
    }
