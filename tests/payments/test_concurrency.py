"""Races on PostgreSQL with real concurrent connections (one thread, one connection each)."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from bookings.holds import services as hold_services

from bookings.payments import stripe_events
from bookings.models import Booking, StripeEvent, Ticket
from notifications.models import EmailMessage
from tests.factories import ShowtimeFactory, StaffFactory, UserFactory
from tests.support.race import run_at_once
from tests.support.stripe import WEBHOOK, make_event, session_of, sign
from tests.support.urls import CHECKIN

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


@pytest.fixture
def booking(db):
    showtime = ShowtimeFactory()
    seats = list(showtime.auditorium.seats.order_by("pk").values_list("pk", flat=True)[:3])
    return hold_services.hold_seats(UserFactory(), showtime, seats)


def assert_paid_once(booking):
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.status == Booking.Status.PAID
    assert Ticket.objects.filter(booking=booking).count() == 3
    assert EmailMessage.objects.filter(idempotency_key=f"booking_confirmation:{booking.pk}").count() == 1
    return booking


def test_one_event_delivered_concurrently_is_stored_once_and_processed_once(booking, celery_app):
    event = make_event("checkout.session.completed", session_of(booking))
    payload = json.dumps(event)

    def deliver(_):
        return Client().post(
            WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
        ).status_code

    statuses, errors = run_at_once([lambda: deliver(None)] * THREADS)
    assert errors == []
    assert statuses == [200] * THREADS
    assert StripeEvent.objects.filter(pk=event["id"]).count() == 1

    # The task may be delivered more than once too (a redelivery, the sweep): all at the same time.
    outcomes, errors = run_at_once([lambda: stripe_events.process_event(event["id"])] * THREADS)
    assert errors == []
    assert set(outcomes) == {StripeEvent.Status.PROCESSED}
    assert_paid_once(booking)
    assert StripeEvent.objects.get(pk=event["id"]).attempts == 1


def test_twin_events_processed_concurrently_change_state_once(booking):
    session = session_of(booking)
    twins = [
        make_event("checkout.session.completed" if i % 2 else "checkout.session.async_payment_succeeded", session)
        for i in range(THREADS)
    ]
    for event in twins:
        payload = json.dumps(event)
        stripe_events.receive_event(payload.encode(), sign(payload))

    outcomes, errors = run_at_once([lambda i=i: stripe_events.process_event(twins[i]["id"]) for i in range(THREADS)])

    assert errors == []
    booking = assert_paid_once(booking)
    notes = list(StripeEvent.objects.values_list("last_error", flat=True))
    assert sum(note.startswith("Paid") for note in notes) == 1
    assert sum("already recorded" in note for note in notes) == THREADS - 1


def test_two_scanners_admit_a_ticket_once(booking):
    stripe_events.process_event(
        stripe_events.receive_event(
            (p := json.dumps(make_event("checkout.session.completed", session_of(booking)))).encode(), sign(p)
        )[0]
    )
    code = Ticket.objects.filter(booking=booking).first().code
    scanners = [StaffFactory() for _ in range(THREADS)]

    def scan(i):
        client = APIClient()
        client.force_authenticate(scanners[i])
        response = client.post(CHECKIN, {"code": code}, format="json")
        return response.status_code, response.json().get("code")

    results, errors = run_at_once([lambda i=i: scan(i) for i in range(THREADS)])

    assert errors == []
    assert sorted(status for status, _ in results) == [200] + [409] * (THREADS - 1)
    assert {code for status, code in results if status == 409} == {"already_checked_in"}
    assert Ticket.objects.get(code=code).checked_in_by_id in {s.pk for s in scanners}


@pytest.mark.parametrize("rival", ["stranger", "same user"])
def test_late_payment_racing_a_new_hold_sells_each_seat_once(rival, booking):
    """A payment that arrives after the hold lapsed and a new hold of the same seats (by a
    stranger, or by the same user trying again), at the same instant: exactly one of them gets
    the seats, and neither deadlocks."""
    import time_machine

    rival = UserFactory() if rival == "stranger" else booking.user
    seat_ids = list(booking.booking_seats.values_list("seat_id", flat=True))
    event = make_event("checkout.session.completed", session_of(booking))
    payload = json.dumps(event)
    stripe_events.receive_event(payload.encode(), sign(payload))

    with time_machine.travel(booking.expires_at + __import__("datetime").timedelta(seconds=5)):

        def act(i):
            if i == 0:
                return stripe_events.process_event(event["id"])
            try:
                return hold_services.hold_seats(rival, booking.showtime, seat_ids)
            except hold_services.SeatsUnavailable:
                return "refused"

        results, errors = run_at_once([lambda: act(0), lambda: act(1)])

    assert errors == []
    booking.refresh_from_db()
    if booking.status == Booking.Status.PAID:
        assert booking.late_payment == Booking.LatePayment.KEPT
        assert results[1] == "refused"
    else:
        assert booking.late_payment == Booking.LatePayment.REFUNDED
        assert booking.refund_status == Booking.RefundStatus.PENDING
        assert isinstance(results[1], Booking)
    from bookings.models import BookingSeat

    active = BookingSeat.objects.filter(showtime=booking.showtime, seat_id__in=seat_ids, active=True)
    assert active.count() == len(seat_ids)
    assert active.values("booking_id").distinct().count() == 1
