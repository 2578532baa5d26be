"""bookings.process_stripe_event: the issue's table, twins, late payments, mismatches, errors."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from bookings import tasks

from bookings.holds import expiry
from bookings.payments import cancellation

from bookings.payments import stripe_events
from bookings.models import Booking, BookingSeat, StripeEvent, Ticket
from bookings.selectors import seat_statuses
from notifications.models import EmailMessage
from tests.support.stripe import make_event, session_of, store_and_process


def statuses(booking):
    return sorted(seat_statuses(booking.showtime).get(bs.seat_id, "available") for bs in booking.booking_seats.all())


def emails_for(booking):
    """The purposes (idempotency key prefixes) of the booking's outbox rows."""
    keys = EmailMessage.objects.filter(idempotency_key__endswith=str(booking.pk)).values_list("idempotency_key", flat=True)
    return sorted(key.split(":")[0] for key in keys)


def test_completed_and_paid_sells_the_seats_and_issues_tickets(pending_booking):
    event = make_event("checkout.session.completed", session_of(pending_booking))

    assert store_and_process(event) == StripeEvent.Status.PROCESSED

    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert booking.paid_at is not None
    assert booking.amount_paid_minor == 1900
    assert booking.payment_intent_id == event["data"]["object"]["payment_intent"]
    assert booking.late_payment == ""
    assert statuses(booking) == ["sold", "sold"]
    assert list(booking.booking_seats.values_list("active", "expires_at")) == [(True, None), (True, None)]
    assert sorted(booking.tickets.values_list("seat_id", flat=True)) == sorted(
        booking.booking_seats.values_list("seat_id", flat=True)
    )
    assert emails_for(booking) == ["booking_confirmation"]
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.booking_id == booking.pk and stored.attempts == 1 and stored.processed_at is not None


def test_booking_is_found_by_metadata_when_checkout_had_not_stored_the_session(pending_booking):
    assert pending_booking.checkout_session_id is None
    store_and_process(make_event("checkout.session.completed", session_of(pending_booking, id="cs_unknown_yet")))
    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert booking.checkout_session_id == "cs_unknown_yet"


def test_completed_but_unpaid_keeps_waiting_then_async_success_pays(pending_booking):
    session = session_of(pending_booking, payment_status="unpaid")
    store_and_process(make_event("checkout.session.completed", session))
    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PENDING
    assert statuses(booking) == ["held", "held"]
    assert not booking.tickets.exists()

    store_and_process(make_event("checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"}))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PAID
    assert booking.tickets.count() == 2


@pytest.mark.parametrize("event_type", ["checkout.session.async_payment_failed", "checkout.session.expired"])
def test_async_failure_or_expiry_releases_the_seats(event_type, pending_booking):
    session = session_of(pending_booking, payment_status="unpaid", status="expired")
    store_and_process(make_event(event_type, session))

    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.EXPIRED
    assert booking.expired_at is not None
    assert statuses(booking) == ["available", "available"]
    assert not booking.tickets.exists()
    assert booking.payment_failed is (event_type == "checkout.session.async_payment_failed")


def test_a_late_failure_or_expiry_does_not_touch_a_paid_booking(paid_booking):
    store_and_process(make_event("checkout.session.expired", session_of(paid_booking, status="expired")))
    booking = Booking.objects.get(pk=paid_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert statuses(booking) == ["sold", "sold"]


def test_twin_events_for_one_payment_change_state_once(pending_booking):
    session = session_of(pending_booking)
    store_and_process(make_event("checkout.session.completed", session))
    paid_at = Booking.objects.get(pk=pending_booking.pk).paid_at

    second = make_event("checkout.session.async_payment_succeeded", session)
    assert store_and_process(second) == StripeEvent.Status.PROCESSED

    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.paid_at == paid_at
    assert Ticket.objects.filter(booking=booking).count() == 2
    assert emails_for(booking) == ["booking_confirmation"]
    assert "already recorded" in StripeEvent.objects.get(pk=second["id"]).last_error


def test_processing_the_same_event_twice_does_nothing_the_second_time(pending_booking):
    event = make_event("checkout.session.completed", session_of(pending_booking))
    store_and_process(event)
    codes = set(Ticket.objects.values_list("code", flat=True))

    assert stripe_events.process_event(event["id"]) == StripeEvent.Status.PROCESSED
    assert StripeEvent.objects.get(pk=event["id"]).attempts == 1
    assert set(Ticket.objects.values_list("code", flat=True)) == codes


@pytest.mark.parametrize(
    "overrides",
    [{"amount_total": 1800}, {"currency": "eur"}, {"amount_total": 190000, "currency": "vnd"}],
)
def test_amount_or_currency_mismatch_is_not_paid_and_is_refunded(overrides, pending_booking):
    store_and_process(make_event("checkout.session.completed", session_of(pending_booking, **overrides)))

    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PENDING
    assert not booking.tickets.exists()
    assert "mismatch" in booking.payment_issue.lower()
    assert booking.refund_status == Booking.RefundStatus.PENDING
    assert booking.amount_paid_minor == overrides.get("amount_total", 1900)

    tasks.refund_booking.apply(args=[str(booking.pk)])  # the local gateway refunds at once
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED
    assert booking.stripe_refund_id.startswith("re_local_")


def test_late_payment_with_the_seats_still_free_takes_them_again(pending_booking):
    with time_machine.travel(pending_booking.expires_at + timedelta(seconds=5)):
        assert expiry.expire_booking(pending_booking.pk) is True
        assert statuses(pending_booking) == ["available", "available"]

        store_and_process(make_event("checkout.session.completed", session_of(pending_booking)))

    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert booking.late_payment == Booking.LatePayment.KEPT
    assert booking.refund_status == Booking.RefundStatus.NONE
    assert statuses(booking) == ["sold", "sold"]
    assert booking.booking_seats.count() == 2  # the same rows, taken again
    assert booking.tickets.count() == 2
    assert emails_for(booking) == ["booking_confirmation", "late_payment"]


def test_late_payment_on_a_lapsed_hold_not_yet_swept_keeps_the_booking(pending_booking):
    with time_machine.travel(pending_booking.expires_at + timedelta(seconds=5)):
        store_and_process(make_event("checkout.session.completed", session_of(pending_booking)))
    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.PAID
    assert booking.late_payment == Booking.LatePayment.KEPT


def test_late_payment_with_the_seats_resold_is_refunded_in_full(pending_booking, hold, other_user, showtime):
    with time_machine.travel(pending_booking.expires_at + timedelta(seconds=5)):
        rival = hold(other_user, showtime, n=1, start=1)  # takes one of the lapsed seats
        store_and_process(make_event("checkout.session.completed", session_of(pending_booking)))

    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.EXPIRED
    assert booking.paid_at is None
    assert booking.late_payment == Booking.LatePayment.REFUNDED
    assert booking.refund_amount == booking.total
    assert booking.refund_status == Booking.RefundStatus.PENDING
    assert not booking.tickets.exists()
    assert not booking.booking_seats.filter(active=True).exists()
    assert BookingSeat.objects.get(booking=rival).active
    assert emails_for(booking) == ["late_payment"]

    tasks.refund_booking.apply(args=[str(booking.pk)])
    booking.refresh_from_db()
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED


def test_payment_for_a_cancelled_hold_is_refunded(pending_booking, user):
    cancellation.cancel_booking(pending_booking, by_user=user)
    store_and_process(make_event("checkout.session.completed", session_of(pending_booking)))
    booking = Booking.objects.get(pk=pending_booking.pk)
    assert booking.status == Booking.Status.CANCELLED
    assert booking.late_payment == Booking.LatePayment.REFUNDED
    assert booking.refund_status == Booking.RefundStatus.PENDING
    assert booking.refund_amount == booking.total
    assert statuses(booking) == ["available", "available"]


def test_charge_refunded_records_the_refund(paid_booking):
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": paid_booking.payment_intent_id,
        "amount_refunded": 1900,
        "currency": "usd",
        "refunds": {"data": [{"id": "re_dashboard_1", "object": "refund", "status": "succeeded"}]},
    }
    store_and_process(make_event("charge.refunded", charge))
    booking = Booking.objects.get(pk=paid_booking.pk)
    assert booking.refund_status == Booking.RefundStatus.SUCCEEDED
    assert booking.stripe_refund_id == "re_dashboard_1"
    assert booking.refund_amount == Decimal("19.00")
    assert "outside this site" in booking.payment_issue


def test_events_we_do_not_act_on_or_for_unknown_sessions_are_ignored(db):
    assert store_and_process(make_event("customer.created", {"id": "cus_1"})) == StripeEvent.Status.IGNORED
    unknown = {"id": "cs_other_shop", "object": "checkout.session", "payment_status": "paid", "metadata": {}}
    assert store_and_process(make_event("checkout.session.completed", unknown)) == StripeEvent.Status.IGNORED


def test_a_processing_error_is_recorded_and_rolled_back(user, showtime):
    broken = Booking.objects.create(  # a total finer than the currency allows: to_minor_units refuses it
        user=user, showtime=showtime, expires_at=timezone.now() + timedelta(minutes=5), total=Decimal("10.50"), currency="vnd"
    )
    event = make_event("checkout.session.completed", session_of(broken, amount_total=10, currency="vnd"))
    with pytest.raises(ValueError):
        store_and_process(event)

    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.status == StripeEvent.Status.FAILED
    assert stored.attempts == 1
    assert "ValueError" in stored.last_error
    broken.refresh_from_db()
    assert broken.status == Booking.Status.PENDING and broken.amount_paid_minor is None


def test_the_sweep_resends_stale_events_boundedly(pending_booking, celery_app, redis_url):
    import json

    import redis

    fresh = StripeEvent.objects.create(id="evt_fresh", type="checkout.session.completed", payload={})
    stale = StripeEvent.objects.create(id="evt_stale", type="checkout.session.completed", payload={})
    spent = StripeEvent.objects.create(
        id="evt_spent", type="x", payload={}, status=StripeEvent.Status.FAILED, attempts=stripe_events.MAX_ATTEMPTS
    )
    done = StripeEvent.objects.create(id="evt_done", type="x", payload={}, status=StripeEvent.Status.PROCESSED)
    old = timezone.now() - timedelta(seconds=301)
    StripeEvent.objects.filter(pk__in=[stale.pk, spent.pk, done.pk]).update(received_at=old)

    assert tasks.requeue_stale_stripe_events() == {"events": 1, "refunds": 0}

    messages = [json.loads(m) for m in redis.Redis.from_url(redis_url).lrange("payments", 0, -1)]
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages] == [
        ("bookings.process_stripe_event", "('evt_stale',)")  # sent by name (no import of tasks)
    ]
    assert fresh.status == StripeEvent.Status.PENDING  # too recent: its own task may still be on the way


def test_the_sweep_runs_every_minute_after_migrate(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="bookings.requeue_stale_stripe_events")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")
