"""Expiry: the one-booking task, the sweeper, lazy release, and a real worker on real Redis."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from bookings.holds import expiry
from bookings.holds import services as hold_services
from bookings.models import Booking, BookingSeat
from bookings.payments import cancellation
from tests.factories import ShowtimeFactory, UserFactory
from tests.support.waiting import wait_for

HOLD = timedelta(seconds=settings.BOOKING_HOLD_SECONDS)


def after_hold(seconds=1):
    return time_machine.travel(timezone.now() + HOLD + timedelta(seconds=seconds))


@pytest.mark.django_db
def test_expire_booking_does_nothing_before_the_hold_ends(user, showtime, seat_ids, hold):
    booking = hold(user, showtime, seat_ids[:2])
    assert expiry.expire_booking(booking.pk) is False
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert booking.booking_seats.filter(active=True).count() == 2


@pytest.mark.django_db
def test_expire_booking_releases_its_seats_once_and_is_idempotent(user, showtime, seat_ids, hold):
    booking = hold(user, showtime, seat_ids[:2])
    with after_hold():
        assert expiry.expire_booking(booking.pk) is True
        assert expiry.expire_booking(booking.pk) is False
    booking.refresh_from_db()
    assert booking.status == "expired" and booking.expired_at is not None
    assert not booking.booking_seats.filter(active=True).exists()


@pytest.mark.django_db
def test_expire_booking_leaves_paid_and_cancelled_bookings_alone(user, other_user, showtime, seat_ids, hold, make_paid):
    paid = make_paid(hold(user, showtime, seat_ids[:1]))
    cancelled = cancellation.cancel_booking(hold(other_user, showtime, seat_ids[1:2]), by_user=other_user)
    with after_hold():
        assert expiry.expire_booking(paid.pk) is False
        assert expiry.expire_booking(cancelled.pk) is False
    assert Booking.objects.get(pk=paid.pk).status == "paid"
    assert BookingSeat.objects.get(booking=paid).active is True
    assert Booking.objects.get(pk=cancelled.pk).status == "cancelled"


@pytest.mark.django_db
def test_a_late_expiry_never_releases_a_newer_hold_of_the_same_seats(user, other_user, showtime, seat_ids, hold):
    old = hold(user, showtime, seat_ids[:2])
    with after_hold():
        newer = hold(other_user, showtime, seat_ids[:2])  # takes over lazily; old is expired by it
        expiry.expire_booking(old.pk)  # the old booking's task runs late
        expiry.expire_unpaid_bookings()
    assert Booking.objects.get(pk=newer.pk).status == "pending"
    assert set(BookingSeat.objects.filter(active=True).values_list("booking_id", flat=True)) == {newer.pk}


@pytest.mark.django_db
def test_expire_booking_of_an_unknown_id_does_nothing():
    import uuid

    assert expiry.expire_booking(uuid.uuid4()) is False


@pytest.mark.django_db
def test_the_sweeper_expires_every_lapsed_hold_in_chunks_and_nothing_else(showtime, seat_ids, hold, monkeypatch):
    called = []
    monkeypatch.setattr(expiry, "on_hold_expired", lambda ids: called.append(list(ids)))
    users = UserFactory.create_batch(7)
    lapsed = [hold(u, showtime, [seat]) for u, seat in zip(users[:5], seat_ids)]
    with time_machine.travel(timezone.now() + timedelta(seconds=30)):
        fresh = [hold(u, showtime, [seat]) for u, seat in zip(users[5:], seat_ids[5:])]

    with time_machine.travel(lapsed[0].expires_at + timedelta(seconds=5)):
        assert expiry.expire_unpaid_bookings(chunk_size=2) == 5
        assert expiry.expire_unpaid_bookings(chunk_size=2) == 0

    assert set(Booking.objects.filter(status="expired").values_list("pk", flat=True)) == {b.pk for b in lapsed}
    assert all(Booking.objects.get(pk=b.pk).status == "pending" for b in fresh)
    assert BookingSeat.objects.filter(active=True).count() == 2
    assert sorted(len(ids) for ids in called) == [1, 2, 2]  # the payments hook saw every chunk


@pytest.mark.django_db
def test_the_periodic_sweep_runs_every_expiry_sweep_seconds_after_migrate(settings):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="bookings.expire_unpaid_bookings")
    assert task.enabled and task.interval.period == "seconds"
    assert task.interval.every == settings.EXPIRY_SWEEP_SECONDS == 10


@pytest.mark.django_db
def test_tasks_are_registered_under_the_contract_names():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert {"bookings.expire_booking", "bookings.expire_unpaid_bookings"} <= set(app.tasks)


@pytest.mark.django_db
def test_release_pending_holds_of_a_deleted_user(user, other_user, showtime, seat_ids, hold, make_paid):
    held = hold(user, showtime, seat_ids[:2])
    paid = make_paid(hold(user, showtime, seat_ids[2:3]))
    others = hold(other_user, showtime, seat_ids[3:4])

    assert expiry.release_pending_holds_of_user(user) == 1

    held.refresh_from_db()
    assert held.status == "cancelled" and not held.booking_seats.filter(active=True).exists()
    assert Booking.objects.get(pk=paid.pk).status == "paid"
    assert Booking.objects.get(pk=others.pk).booking_seats.filter(active=True).count() == 1


@pytest.mark.django_db
def test_user_deleted_signal_releases_holds(user, showtime, seat_ids, hold):
    from accounts.signals import user_deleted

    booking = hold(user, showtime, seat_ids[:1])
    user_deleted.send(sender=None, user=user)
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_expiry_task_on_a_real_worker_releases_its_hold_but_not_a_later_one(celery_worker):
    """Given an old hold lapsed and the same seats held again by someone else, when the old
    booking's expire task runs on a real worker (real Redis), then only the old booking expires."""
    from bookings.tasks import expire_booking, expire_unpaid_bookings

    showtime = ShowtimeFactory()
    seats = list(showtime.auditorium.seats.values_list("pk", flat=True)[:2])
    first, second = UserFactory(), UserFactory()
    old = hold_services.hold_seats(first, showtime, seats)
    # Make the old hold lapse in the database (the worker thread does not share time_machine's clock).
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=old.pk).update(expires_at=past)
    BookingSeat.objects.filter(booking=old).update(expires_at=past)
    newer = hold_services.hold_seats(second, showtime, seats)  # lazily expires the old one and takes the seats

    Booking.objects.filter(pk=old.pk).update(status="pending", expired_at=None)  # as if nobody tidied it yet
    expire_booking.delay(str(old.pk))
    wait_for(lambda: Booking.objects.get(pk=old.pk).status == "expired")
    expire_unpaid_bookings.delay()
    expire_booking.delay(str(newer.pk))  # not due: must do nothing

    lapsed_third = hold_services.hold_seats(UserFactory(), showtime, [showtime.auditorium.seats.order_by("pk").last().pk])
    Booking.objects.filter(pk=lapsed_third.pk).update(expires_at=past)
    BookingSeat.objects.filter(booking=lapsed_third).update(expires_at=past)
    expire_unpaid_bookings.delay()
    wait_for(lambda: Booking.objects.get(pk=lapsed_third.pk).status == "expired")

    assert Booking.objects.get(pk=newer.pk).status == "pending"
    assert set(BookingSeat.objects.filter(active=True).values_list("booking_id", flat=True)) == {newer.pk}
