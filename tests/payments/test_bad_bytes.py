"""Bad input that PostgreSQL refuses (finding 5): NUL bytes in the local Pay page's path and in
a correctly signed Stripe body are a 400 that changes nothing, never a DataError and a 500."""

import json

import pytest
from django.test import Client

from bookings.models import Booking, StripeEvent
from tests.support.stripe import WEBHOOK, make_event, session_of, sign

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/pay/local/cs_local_%00abc/", "/pay/local/%00/", "/pay/local/cs_local_ab%00cd/"])
def test_a_nul_byte_in_the_local_pay_path_is_a_400(user, path):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400


@pytest.mark.parametrize(
    "where",
    ["id", "type", pytest.param("payload", marks=pytest.mark.postgres)],  # SQLite stores a NUL in JSON
)
def test_a_signed_stripe_body_with_a_nul_is_a_400_and_stores_nothing(client, pending_booking, where):
    event = make_event("checkout.session.completed", session_of(pending_booking))
    if where == "id":
        event["id"] = "evt_\u0000nul"
    elif where == "type":
        event["type"] = "checkout.session.completed\u0000"
    else:
        event["data"]["object"]["metadata"]["note"] = "a\u0000b"
    payload = json.dumps(event)  # \u0000 escaped, as Stripe's JSON would carry it
    client.raise_request_exception = False
    response = client.post(WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload))

    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == {"detail", "code"}
    assert not StripeEvent.objects.exists()
    assert Booking.objects.get(pk=pending_booking.pk).status == Booking.Status.PENDING
