"""POST /api/v1/bookings/: holds, every 400/401/404/409 of the contract, and nothing changed on refusal."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from bookings import selectors
from bookings.holds import services as hold_services
from bookings.models import Booking, BookingSeat
from tests.factories import AuditoriumFactory, ShowtimeFactory
from tests.support.urls import HOLDS

pytestmark = pytest.mark.django_db

BOOKING_FIELDS = {
    "id", "reference", "status", "showtime", "seats", "total", "currency", "expires_at",
    "paid_at", "cancelled_at", "refund_amount", "refund_status",
}


def post_hold(client, showtime, seats):
    return client.post(HOLDS, {"showtime": getattr(showtime, "pk", showtime), "seats": seats}, format="json")


def assert_nothing_held():
    assert Booking.objects.count() == 0
    assert BookingSeat.objects.count() == 0


def test_hold_answers_201_with_the_contract_shape(user_client, showtime, seat_ids):
    before = timezone.now()
    response = post_hold(user_client, showtime, [seat_ids[1], seat_ids[0]])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert BOOKING_FIELDS <= set(body)
    assert body["status"] == "pending" and body["showtime"] == showtime.pk
    assert body["seats"] == [{"id": seat_ids[0], "label": "A1"}, {"id": seat_ids[1], "label": "A2"}]
    assert body["total"] == "19.00" and body["currency"] == "usd"
    assert body["paid_at"] is None and body["cancelled_at"] is None
    assert body["refund_amount"] is None and body["refund_status"] == "none"
    booking = Booking.objects.get(pk=body["id"])
    assert booking.reference == body["reference"] and len(booking.reference) == 8
    hold_end = before + timedelta(seconds=settings.BOOKING_HOLD_SECONDS)
    assert hold_end <= booking.expires_at <= hold_end + timedelta(seconds=5)
    assert set(booking.booking_seats.values_list("expires_at", flat=True)) == {booking.expires_at}


def test_vnd_total_is_whole_dong(user_client):
    showtime = ShowtimeFactory(price=120000, currency="vnd")
    seats = list(showtime.auditorium.seats.values_list("pk", flat=True)[:3])
    response = post_hold(user_client, showtime, seats)
    assert response.json()["total"] == "360000" and response.json()["currency"] == "vnd"


def test_taken_seats_answer_409_naming_exactly_those(user_client, client_for, other_user, showtime, seat_ids):
    assert post_hold(client_for(other_user), showtime, seat_ids[2:4]).status_code == 201

    response = post_hold(user_client, showtime, [seat_ids[0], seat_ids[3], seat_ids[2]])

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "seats_unavailable"
    assert body["seats"] == sorted(seat_ids[2:4])
    assert body["detail"]
    assert Booking.objects.count() == 1


def test_a_lapsed_hold_is_taken_over_at_once_and_the_old_booking_expires(user_client, client_for, other_user, showtime, seat_ids):
    old = post_hold(client_for(other_user), showtime, seat_ids[:2]).json()

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)):
        response = post_hold(user_client, showtime, seat_ids[1:3])

    assert response.status_code == 201
    old_booking = Booking.objects.get(pk=old["id"])
    assert old_booking.status == "expired" and old_booking.expired_at is not None
    assert not old_booking.booking_seats.filter(active=True).exists()
    assert BookingSeat.objects.filter(active=True).count() == 2


def test_the_same_seats_of_another_showtime_are_independent(user_client, client_for, other_user, showtime, seat_ids):
    later = ShowtimeFactory(auditorium=showtime.auditorium, starts_at=showtime.starts_at + timedelta(hours=5))
    assert post_hold(client_for(other_user), showtime, seat_ids[:2]).status_code == 201
    assert post_hold(user_client, later, seat_ids[:2]).status_code == 201


@pytest.mark.parametrize(
    "make_seats,code",
    [
        (lambda ids: [], "no_seats"),
        (lambda ids: [ids[0], ids[1], ids[0]], "duplicate_seats"),
        (lambda ids: ids[:11], "too_many_seats"),
        (lambda ids: [ids[0], 99999999], "invalid_seats"),
    ],
)
def test_bad_seat_lists_are_400_and_hold_nothing(user_client, showtime, seat_ids, make_seats, code):
    response = post_hold(user_client, showtime, make_seats(seat_ids))

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert_nothing_held()


def test_seats_of_another_auditorium_are_400(user_client, showtime):
    foreign = list(AuditoriumFactory().seats.values_list("pk", flat=True)[:2])
    response = post_hold(user_client, showtime, foreign)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_seats" and response.json()["seats"] == sorted(foreign)
    assert_nothing_held()


@pytest.mark.parametrize("body", [{"seats": [1]}, {"showtime": 1}, {"showtime": "x", "seats": [1]}, {"showtime": 1, "seats": "A1"}, {"showtime": 1, "seats": ["A1"]}])
def test_malformed_bodies_are_400(user_client, body):
    response = user_client.post(HOLDS, body, format="json")
    assert response.status_code == 400
    assert {"detail", "code"} <= set(response.json())


def test_a_showtime_that_has_started_is_400(user_client, showtime, seat_ids):
    with time_machine.travel(showtime.starts_at + timedelta(minutes=1)):
        response = post_hold(user_client, showtime, seat_ids[:1])
    assert response.status_code == 400
    assert response.json()["code"] == "showtime_started"
    assert_nothing_held()


def test_unknown_showtime_is_404(user_client):
    response = post_hold(user_client, 999999, [1])
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_unknown_showtime_is_404_even_with_a_bad_seat_list(user_client):
    response = post_hold(user_client, 999999, [])
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_ids_beyond_a_bigint_are_a_404_and_a_400_not_a_500(user_client, showtime, seat_ids):
    """Given ids no table can hold (which SQLite cannot even bind), the answers are the usual ones."""
    assert post_hold(user_client, 2**70, [seat_ids[0]]).status_code == 404
    response = post_hold(user_client, showtime, [seat_ids[0], 2**70])
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_seats" and response.json()["seats"] == [2**70]
    response = post_hold(user_client, showtime, [2**70])
    assert response.status_code == 400 and response.json()["seats"] == [2**70]
    assert_nothing_held()


def test_a_hold_is_one_locking_read_and_one_insert_statement(user_client, showtime, seat_ids, django_assert_max_num_queries):
    """The hold path stays cheap: the seat lock reads the showtime, the seats' current holds and the
    user's cap count in one statement; the booking and its seats are inserted together on
    PostgreSQL (one statement per table elsewhere). Plus the savepoint the test transaction adds
    and, on PostgreSQL, the (user, showtime) advisory lock with the lock timeout."""
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    inserts = 1 if postgres else 2
    locks = 1 if postgres else 0
    with django_assert_max_num_queries(locks + 1 + inserts + 2) as captured:  # SAVEPOINT, lock, read, insert(s), RELEASE
        response = post_hold(user_client, showtime, seat_ids[:3])
    assert response.status_code == 201
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    assert statements.count("SELECT") == locks + 1 and statements.count("INSERT") + statements.count("WITH") == inserts
    assert BookingSeat.objects.filter(active=True).count() == 3


def test_anonymous_hold_is_401(anon_client, showtime, seat_ids):
    response = post_hold(anon_client, showtime, seat_ids[:1])
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert_nothing_held()


def test_pending_holds_per_user_and_showtime_are_capped(user_client, showtime, seat_ids, settings):
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 2
    assert post_hold(user_client, showtime, seat_ids[0:1]).status_code == 201
    assert post_hold(user_client, showtime, seat_ids[1:2]).status_code == 201

    third = post_hold(user_client, showtime, seat_ids[2:3])

    assert third.status_code == 409 and third.json()["code"] == "too_many_holds"
    assert Booking.objects.count() == 2
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)):
        assert post_hold(user_client, showtime, seat_ids[2:3]).status_code == 201  # lapsed holds do not count


def test_hold_creation_is_throttled_with_the_holds_scope(user_client, showtime, seat_ids, settings):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 100
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "holds": "2/min"}
    try:
        ScopedRateThrottle.THROTTLE_RATES = rates
        codes = [post_hold(user_client, showtime, [seat]).status_code for seat in seat_ids[:3]]
        listing = user_client.get(HOLDS)
    finally:
        del ScopedRateThrottle.THROTTLE_RATES
        cache.clear()
    assert codes == [201, 201, 429]
    assert listing.status_code == 200  # reads are not throttled


def test_an_integrity_error_from_a_lost_race_is_409_not_500(user_client, client_for, other_user, showtime, seat_ids, monkeypatch):
    """Given a writer that got in between the read and the insert (the locking read is made to see
    no current hold), the partial unique index refuses the insert and the client gets the same 409."""
    assert post_hold(client_for(other_user), showtime, seat_ids[:1]).status_code == 201
    integrity_errors = []
    real_lock_and_read, real_insert = hold_services._lock_and_read, hold_services._insert

    def blind_lock_and_read(*args):
        facts, labels, _current, user_holds = real_lock_and_read(*args)
        return facts, labels, [], user_holds

    def recording_insert(*batches):
        try:
            return real_insert(*batches)
        except IntegrityError as exc:
            integrity_errors.append(exc)
            raise

    monkeypatch.setattr(hold_services, "_lock_and_read", blind_lock_and_read)
    monkeypatch.setattr(hold_services, "_insert", recording_insert)
    response = post_hold(user_client, showtime, seat_ids[:2])

    assert len(integrity_errors) == 1  # the constraint, not the read, refused it
    assert response.status_code == 409
    assert response.json() == {"detail": response.json()["detail"], "code": "seats_unavailable", "seats": [seat_ids[0]]}
    assert Booking.objects.count() == 1 and BookingSeat.objects.count() == 1  # nothing half-written


def test_is_seat_constraint_does_not_swallow_other_integrity_errors():
    assert hold_services._is_seat_constraint(IntegrityError("UNIQUE constraint failed: bookings_booking.reference")) is False
    assert hold_services._is_seat_constraint(IntegrityError('violates unique constraint "uniq_active_seat_per_showtime"'))


def test_a_hold_costs_no_broker_message(user, showtime, seat_ids, django_capture_on_commit_callbacks, monkeypatch):
    """The sweep ends holds (every EXPIRY_SWEEP_SECONDS): a hold sends no task of its own."""
    sent = []
    monkeypatch.setattr("core.tasks.send_task_safely", lambda task, args=(), **o: sent.append((task.name, args, o)))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        hold_services.hold_seats(user, showtime, seat_ids[:1])
    assert sent == [] and callbacks == []


def test_active_holds_selector_ignores_lapsed_and_other_showtimes(user, showtime, seat_ids, hold):
    hold(user, showtime, seat_ids[:1])
    assert selectors.active_holds(user, showtime, timezone.now()).count() == 1
    later = timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)
    assert selectors.active_holds(user, showtime, later).count() == 0
