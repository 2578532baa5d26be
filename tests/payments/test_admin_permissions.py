"""The bookings admin's money actions (cancel and refund, retry refunds, reprocess a Stripe
event) need the change permission (finding 4): a view-only staff user sees, but cannot act."""

import json

import pytest
from django.test import Client

from bookings.models import Booking, StripeEvent
from bookings.payments.stripe_events import receive_event
from tests.factories import staff_with_permissions
from tests.support.stripe import make_event, session_of, sign


def client_of(*perms):
    client = Client()
    client.force_login(staff_with_permissions(*perms))
    return client


def act(client, model, action, pks):
    return client.post(f"/admin/bookings/{model}/", {"action": action, "_selected_action": [str(pk) for pk in pks]})


@pytest.fixture
def failed_event(pending_booking):
    payload = json.dumps(make_event("checkout.session.completed", session_of(pending_booking)))
    event_id, _ = receive_event(payload.encode(), sign(payload))
    StripeEvent.objects.filter(pk=event_id).update(status=StripeEvent.Status.FAILED, last_error="boom")
    return event_id


def test_a_view_only_staff_user_cannot_cancel_refund_or_retry(paid_booking, django_capture_on_commit_callbacks):
    client = client_of("bookings.view_booking")
    page = client.get("/admin/bookings/booking/")
    assert page.status_code == 200 and paid_booking.reference in page.content.decode()
    assert 'value="cancel_and_refund"' not in page.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act(client, "booking", "cancel_and_refund", [paid_booking.pk])
    booking = Booking.objects.get(pk=paid_booking.pk)
    assert (booking.status, booking.refund_status) == (Booking.Status.PAID, Booking.RefundStatus.NONE)

    Booking.objects.filter(pk=paid_booking.pk).update(refund_status=Booking.RefundStatus.FAILED, refund_error="boom")
    with django_capture_on_commit_callbacks(execute=False) as more:
        act(client, "booking", "retry_refunds", [paid_booking.pk])
    assert Booking.objects.get(pk=paid_booking.pk).refund_status == Booking.RefundStatus.FAILED
    assert callbacks == more == []


def test_a_view_only_staff_user_cannot_reprocess_stripe_events(failed_event, django_capture_on_commit_callbacks):
    client = client_of("bookings.view_stripeevent")
    page = client.get("/admin/bookings/stripeevent/")
    assert page.status_code == 200 and failed_event in page.content.decode()
    assert 'value="reprocess_events"' not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        act(client, "stripeevent", "reprocess_events", [failed_event])
    assert StripeEvent.objects.get(pk=failed_event).status == StripeEvent.Status.FAILED
    assert callbacks == []


def test_staff_with_the_change_permission_can(paid_booking, failed_event, django_capture_on_commit_callbacks):
    client = client_of("bookings.view_booking", "bookings.change_booking",
                       "bookings.view_stripeevent", "bookings.change_stripeevent")
    with django_capture_on_commit_callbacks(execute=False):
        act(client, "stripeevent", "reprocess_events", [failed_event])
        act(client, "booking", "cancel_and_refund", [paid_booking.pk])
    assert StripeEvent.objects.get(pk=failed_event).status == StripeEvent.Status.PENDING
    assert Booking.objects.get(pk=paid_booking.pk).status == Booking.Status.CANCELLED
