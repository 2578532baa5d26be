"""The tasks on a real Celery worker over a real Redis: webhook -> process_stripe_event -> paid;
cancellation -> refund_booking; a lost enqueue picked up by the stale-event sweep."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from bookings import tasks

from bookings.holds import services as hold_services
from bookings.models import Booking, StripeEvent
from tests.support.waiting import wait_for
from tests.factories import ShowtimeFactory, UserFactory
from tests.support.stripe import deliver, make_event, session_of
from tests.support.urls import booking_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def booking(db):
    showtime = ShowtimeFactory()
    seats = list(showtime.auditorium.seats.order_by("pk").values_list("pk", flat=True)[:2])
    return hold_services.hold_seats(UserFactory(), showtime, seats)


def paid(booking):
    return Booking.objects.filter(pk=booking.pk, status=Booking.Status.PAID).exists()


def test_webhook_then_worker_marks_the_booking_paid(booking, celery_worker):
    event = make_event("checkout.session.completed", session_of(booking))

    assert deliver(APIClient(), event).status_code == 200

    wait_for(lambda: paid(booking))
    assert Booking.objects.get(pk=booking.pk).tickets.count() == 2
    wait_for(lambda: StripeEvent.objects.filter(pk=event["id"], status=StripeEvent.Status.PROCESSED).exists())


def test_cancellation_refund_runs_on_the_worker(booking, celery_worker):
    deliver(APIClient(), make_event("checkout.session.completed", session_of(booking)))
    wait_for(lambda: paid(booking))
    client = APIClient()
    client.force_authenticate(booking.user)

    assert client.post(booking_url(booking, "cancel")).json()["refund_amount"] == "19.00"

    wait_for(
        lambda: Booking.objects.filter(pk=booking.pk, refund_status=Booking.RefundStatus.SUCCEEDED).exists()
    )


def test_a_lost_enqueue_is_picked_up_by_the_sweep(booking, celery_worker):
    event = make_event("checkout.session.completed", session_of(booking))
    StripeEvent.objects.create(id=event["id"], type=event["type"], payload=json.loads(json.dumps(event)))
    StripeEvent.objects.filter(pk=event["id"]).update(received_at=timezone.now() - timedelta(minutes=10))

    tasks.requeue_stale_stripe_events.delay()

    wait_for(lambda: paid(booking))
    assert StripeEvent.objects.get(pk=event["id"]).status == StripeEvent.Status.PROCESSED
