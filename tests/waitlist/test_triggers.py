"""Whenever seats of a showtime come free, `bookings.offer_waitlist_seats` is sent for it after
commit: the expiry sweep, a cancellation, a refund by staff, a Checkout Session closed unpaid, a
deleted user's released holds. Paid -> booked through the real payment path."""

import pytest
from django.db import transaction

from accounts.models import User
from accounts.signals import user_deleted
from bookings.holds import expiry
from bookings.models import Booking, WaitlistEntry
from bookings.payments import cancellation, refunds
from tests.support.stripe import make_event, session_of, store_and_process

from .support import lapse

pytestmark = pytest.mark.django_db
OFFER = "bookings.offer_waitlist_seats"
Status = WaitlistEntry.Status


@pytest.fixture
def sent(monkeypatch):
    """[(task name, args)] of the tasks handed to the broker (core.tasks' one way of sending)."""
    calls = []
    monkeypatch.setattr("core.tasks.send_task_safely", lambda task, args=(), **o: calls.append((task.name, tuple(args))))
    return calls


def offers_sent(sent):
    return [args for name, args in sent if name == OFFER]


def test_the_expiry_sweep_sends_the_offer_task_for_a_showtime_with_a_waitlist(
    hall, sold_out, join, sent, django_capture_on_commit_callbacks
):
    bookings = sold_out(pending=[0, 1])
    join(hall, 2)
    lapse(bookings[0])
    lapse(bookings[1])

    with django_capture_on_commit_callbacks(execute=True):
        assert expiry.expire_unpaid_bookings() == 2

    assert offers_sent(sent) == [(hall.pk,)]


def test_a_showtime_without_a_waitlist_costs_no_message(hall, sold_out, sent, django_capture_on_commit_callbacks):
    bookings = sold_out(pending=[0])
    lapse(bookings[0])
    with django_capture_on_commit_callbacks(execute=True):
        expiry.expire_unpaid_bookings()
    assert offers_sent(sent) == []


@pytest.mark.parametrize("paid", [True, False], ids=["paid", "pending"])
def test_a_cancellation_sends_the_offer_task(hall, sold_out, join, sent, django_capture_on_commit_callbacks, paid):
    bookings = sold_out(pending=[] if paid else [0])
    join(hall, 2)
    with django_capture_on_commit_callbacks(execute=True):
        cancellation.cancel_booking(bookings[0], by_user=bookings[0].user)
    assert offers_sent(sent) == [(hall.pk,)]


def test_a_full_refund_by_staff_sends_the_offer_task(hall, sold_out, join, sent, django_capture_on_commit_callbacks):
    bookings = sold_out()
    join(hall, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert refunds.cancel_and_refund_in_full(bookings[0].pk)
    assert offers_sent(sent) == [(hall.pk,)]


def test_a_checkout_session_closed_unpaid_sends_the_offer_task(hall, sold_out, join, sent, django_capture_on_commit_callbacks):
    bookings = sold_out(pending=[0])
    join(hall, 2)
    with django_capture_on_commit_callbacks(execute=True):
        store_and_process(make_event("checkout.session.expired", session_of(bookings[0], status="expired", payment_status="unpaid")))
    assert Booking.objects.get(pk=bookings[0].pk).status == Booking.Status.EXPIRED
    assert (hall.pk,) in offers_sent(sent)


def test_a_deleted_users_holds_go_to_the_waitlist_and_the_user_leaves_it(
    hall, sold_out, join, offered, sent, django_capture_on_commit_callbacks
):
    first, second = offered(behind=1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        User.objects.filter(pk=first.user_id).update(is_active=False)
        user_deleted.send(sender=User, user=first.user)

    first.refresh_from_db()
    assert first.status == Status.LEFT
    assert Booking.objects.get(pk=first.booking_id).status == Booking.Status.CANCELLED
    assert offers_sent(sent) == [(hall.pk,)]


def test_paying_an_offer_through_stripe_makes_the_entry_booked(offered, django_capture_on_commit_callbacks):
    [entry] = offered()
    with django_capture_on_commit_callbacks(execute=False):
        assert store_and_process(make_event("checkout.session.completed", session_of(entry.booking))) == "processed"
    entry.refresh_from_db()
    assert entry.status == Status.BOOKED and entry.booking.status == Booking.Status.PAID


def test_a_late_payment_of_a_lapsed_offer_whose_seats_are_still_free_is_booked(offered, settings):
    """The offer lapsed and was marked expired, but nobody took the seats: the payment keeps
    them (the contract's late payment) and the entry is booked after all."""
    [entry] = offered()
    lapse(entry.booking)
    entry.status = Status.EXPIRED
    entry.save()

    assert store_and_process(make_event("checkout.session.completed", session_of(entry.booking))) == "processed"

    entry.refresh_from_db()
    assert entry.status == Status.BOOKED
