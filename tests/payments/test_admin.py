"""The Django admin of bookings: payment/refund state, refund actions, stored events, reprocess."""

import pytest
from django.contrib.admin.utils import quote
from django.test import Client

from bookings.models import Booking, StripeEvent, Ticket
from tests.factories import UserFactory
from tests.support.stripe import make_event, session_of


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def act(client, model, action, pks):
    return client.post(
        f"/admin/bookings/{model}/", {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True
    )


def test_pages_render(admin_client, paid_booking):
    event = StripeEvent.objects.get(booking=paid_booking)
    ticket = Ticket.objects.filter(booking=paid_booking).first()
    for url in [
        "/admin/bookings/booking/",
        "/admin/bookings/booking/?refund_status__exact=none&issue=no",
        f"/admin/bookings/booking/{paid_booking.pk}/change/",
        "/admin/bookings/stripeevent/",
        f"/admin/bookings/stripeevent/{quote(event.pk)}/change/",  # admin reads "_26" in evt_26… as "&"
        "/admin/bookings/ticket/",
        f"/admin/bookings/ticket/{ticket.pk}/change/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get(f"/admin/bookings/booking/{paid_booking.pk}/change/").content.decode()
    assert paid_booking.payment_intent_id in page
    assert "checkout.session.completed" in page


def test_cancel_and_refund_action(admin_client, paid_booking, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(admin_client, "booking", "cancel_and_refund", [paid_booking.pk])
    assert response.status_code == 200
    booking = Booking.objects.get(pk=paid_booking.pk)
    assert booking.status == Booking.Status.CANCELLED
    assert booking.refund_amount == booking.total
    assert booking.refund_status == Booking.RefundStatus.PENDING
    assert not booking.booking_seats.filter(active=True).exists()


def test_retry_failed_refunds_action(admin_client, paid_booking):
    Booking.objects.filter(pk=paid_booking.pk).update(
        status=Booking.Status.CANCELLED, refund_status=Booking.RefundStatus.FAILED, refund_error="boom"
    )
    act(admin_client, "booking", "retry_refunds", [paid_booking.pk])
    booking = Booking.objects.get(pk=paid_booking.pk)
    assert booking.refund_status == Booking.RefundStatus.PENDING
    assert booking.refund_error == ""


def test_reprocess_action_puts_events_back_to_pending(admin_client, pending_booking):
    from bookings.payments.stripe_events import receive_event
    import json
    from tests.support.stripe import sign

    payload = json.dumps(make_event("checkout.session.completed", session_of(pending_booking)))
    event_id, _ = receive_event(payload.encode(), sign(payload))
    StripeEvent.objects.filter(pk=event_id).update(status=StripeEvent.Status.FAILED, last_error="boom")

    act(admin_client, "stripeevent", "reprocess_events", [event_id])

    assert StripeEvent.objects.get(pk=event_id).status == StripeEvent.Status.PENDING
