"""Bookings list, detail and cancel: owner or staff only, refund policy, 409 too_late."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from bookings.holds import expiry
from bookings.holds import services as hold_services
from bookings.models import Booking, BookingSeat
from bookings.payments import cancellation
from tests.support.urls import HOLDS, booking_url

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_callers_bookings_newest_first(user_client, user, other_user, showtime, seat_ids, hold):
    first = hold(user, showtime, seat_ids[:1])
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        second = hold(user, showtime, seat_ids[1:3])
    hold(other_user, showtime, seat_ids[5:6])

    response = user_client.get(HOLDS)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and {"next", "previous"} <= set(body)
    assert [b["id"] for b in body["results"]] == [str(second.pk), str(first.pk)]
    assert [s["label"] for s in body["results"][0]["seats"]] == ["A2", "A3"]


def test_list_query_count_does_not_grow_with_bookings(user_client, user, showtime, seat_ids, hold, django_assert_max_num_queries, settings):
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 100
    for seat in seat_ids[:12]:
        hold(user, showtime, [seat])
    with django_assert_max_num_queries(4):
        assert user_client.get(HOLDS).json()["count"] == 12


def test_list_is_401_anonymous(anon_client):
    assert anon_client.get(HOLDS).status_code == 401


def test_owner_and_staff_read_a_booking_others_get_404(user_client, staff_client, client_for, other_user, user, showtime, seat_ids, hold):
    booking = hold(user, showtime, seat_ids[:1])

    mine = user_client.get(booking_url(booking.pk))
    as_staff = staff_client.get(booking_url(booking.pk))
    as_other = client_for(other_user).get(booking_url(booking.pk))

    assert mine.status_code == 200 and mine.json()["reference"] == booking.reference
    assert as_staff.status_code == 200
    assert as_other.status_code == 404 and as_other.json()["code"] == "not_found"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", str(uuid.uuid4())])
def test_malformed_or_unknown_booking_id_is_404(user_client, bad_id):
    assert user_client.get(booking_url(bad_id)).status_code == 404
    assert user_client.post(booking_url(bad_id, "cancel")).status_code == 404


def test_detail_and_cancel_are_401_anonymous(anon_client, user, showtime, seat_ids, hold):
    booking = hold(user, showtime, seat_ids[:1])
    assert anon_client.get(booking_url(booking.pk)).status_code == 401
    assert anon_client.post(booking_url(booking.pk, "cancel")).status_code == 401
    assert Booking.objects.get(pk=booking.pk).status == "pending"


def test_cancelling_a_pending_hold_is_free_and_frees_the_seats(user_client, user, showtime, seat_ids, hold, monkeypatch):
    emailed = []
    monkeypatch.setattr("bookings.emails.queue_booking_cancelled", lambda b: emailed.append(b.pk))
    booking = hold(user, showtime, seat_ids[:2])

    response = user_client.post(booking_url(booking.pk, "cancel"))

    assert response.status_code == 200
    assert response.json() == {"status": "cancelled", "refund_amount": "0.00"}
    booking.refresh_from_db()
    assert booking.cancelled_at is not None and booking.refund_status == "none"
    assert not BookingSeat.objects.filter(booking=booking, active=True).exists()
    assert emailed == [booking.pk]
    assert hold_services.hold_seats(user, showtime, seat_ids[:2]).status == "pending"  # the seats are free again


def test_others_cannot_cancel_but_staff_can(client_for, other_user, staff_client, user, showtime, seat_ids, hold):
    booking = hold(user, showtime, seat_ids[:1])
    assert client_for(other_user).post(booking_url(booking.pk, "cancel")).status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "pending"
    assert staff_client.post(booking_url(booking.pk, "cancel")).status_code == 200
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


@pytest.mark.parametrize("how", ["cancelled", "expired", "lapsed"])
def test_cancelling_an_ended_booking_is_409_too_late(user_client, user, showtime, seat_ids, hold, how):
    booking = hold(user, showtime, seat_ids[:1])
    later = timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)
    if how == "cancelled":
        cancellation.cancel_booking(booking, by_user=user)
    elif how == "expired":
        with time_machine.travel(later):
            expiry.expire_booking(booking.pk)
    with time_machine.travel(later if how == "lapsed" else timezone.now()):
        response = user_client.post(booking_url(booking.pk, "cancel"))

    assert response.status_code == 409
    assert response.json()["code"] == "too_late"
    assert "already ended" in response.json()["detail"]


@pytest.fixture
def paid_booking(user, hold, make_paid, future_showtime, django_capture_on_commit_callbacks):
    def make(hours_before_start, price=Decimal("9.50"), currency="usd"):
        showtime = future_showtime(hours_before_start, price=price, currency=currency)
        seats = list(showtime.auditorium.seats.values_list("pk", flat=True)[:2])
        return make_paid(hold(user, showtime, seats))

    return make


@pytest.mark.parametrize(
    "hours_left,refund,refund_status",
    [(48, "19.00", "pending"), (24, "19.00", "pending"), (23.9, "9.50", "pending"), (2, "9.50", "pending")],
)
def test_cancelling_a_paid_booking_refunds_per_policy(user_client, paid_booking, hours_left, refund, refund_status, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("core.tasks.send_task_safely", lambda task, args=(), **o: sent.append((task.name, args)))
    booking = paid_booking(hours_left + 0.01)  # a moment passes before the request

    with django_capture_on_commit_callbacks(execute=True):
        response = user_client.post(booking_url(booking.pk, "cancel"))

    assert response.status_code == 200
    assert response.json() == {"status": "cancelled", "refund_amount": refund}
    booking.refresh_from_db()
    assert booking.refund_amount == Decimal(refund) and booking.refund_status == refund_status
    assert not booking.booking_seats.filter(active=True).exists()
    assert [s for s in sent if s[0].startswith("bookings.")] == [("bookings.refund_booking", (str(booking.pk),))]


def test_paid_booking_cannot_be_cancelled_in_the_last_hours(user_client, paid_booking):
    booking = paid_booking(1.9)
    response = user_client.post(booking_url(booking.pk, "cancel"))
    assert response.status_code == 409 and response.json()["code"] == "too_late"
    booking.refresh_from_db()
    assert booking.status == "paid" and booking.booking_seats.filter(active=True).count() == 2


def test_refund_policy_is_a_pure_function_of_the_booking_and_the_time(paid_booking, settings):
    settings.REFUND_PARTIAL_PERCENT = 33
    booking = paid_booking(30, price=Decimal("100001"), currency="vnd")
    start = booking.showtime.starts_at
    assert cancellation.refund_amount_for(booking, start - timedelta(hours=24)) == Decimal("200002")
    assert cancellation.refund_amount_for(booking, start - timedelta(hours=23)) == Decimal("66001")  # 66000.66 rounded
    assert cancellation.refund_amount_for(booking, start - timedelta(hours=2)) == Decimal("66001")
    assert cancellation.refund_amount_for(booking, start - timedelta(hours=1, minutes=59)) is None


def test_zero_percent_partial_refund_leaves_refund_status_none(user_client, paid_booking, settings):
    settings.REFUND_PARTIAL_PERCENT = 0
    booking = paid_booking(5)
    response = user_client.post(booking_url(booking.pk, "cancel"))
    assert response.json() == {"status": "cancelled", "refund_amount": "0.00"}
    booking.refresh_from_db()
    assert booking.refund_status == "none"


def test_detail_shows_a_cancelled_bookings_seats_and_refund(user_client, user, showtime, seat_ids, hold):
    booking = hold(user, showtime, seat_ids[:2])
    cancellation.cancel_booking(booking, by_user=user)
    body = user_client.get(booking_url(booking.pk)).json()
    assert body["status"] == "cancelled" and body["refund_amount"] == "0.00"
    assert [s["label"] for s in body["seats"]] == ["A1", "A2"]


def test_cancelling_a_pending_hold_ends_it_like_an_expiry_for_payments(user_client, user, showtime, seat_ids, hold, make_paid, monkeypatch):
    """The payments hook (close the Checkout Session) runs for a cancelled hold, not for a paid booking."""
    ended = []
    monkeypatch.setattr(cancellation, "on_hold_expired", lambda ids: ended.append(list(ids)))
    pending = hold(user, showtime, seat_ids[:1])
    paid = make_paid(hold(user, showtime, seat_ids[1:2]))

    assert user_client.post(booking_url(pending.pk, "cancel")).status_code == 200
    assert user_client.post(booking_url(paid.pk, "cancel")).status_code == 200

    assert ended == [[pending.pk]]
