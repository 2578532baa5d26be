"""Showtime reminders: due paid bookings only, each reminded exactly once however runs overlap."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import EmailMessage
from notifications.reminders import send_showtime_reminders
from tests.factories import ShowtimeFactory, UserFactory
from tests.support.race import run_at_once
from tests.support.waiting import wait_for


def _reminded():
    return sorted(EmailMessage.objects.filter(kind="showtime_reminder").values_list("idempotency_key", flat=True))


@pytest.mark.django_db
def test_repeated_runs_remind_each_due_booking_once(auditorium, make_paid_booking, settings):
    settings.REMINDER_LEAD_HOURS = 3
    start = timezone.now().replace(microsecond=0)
    soon = ShowtimeFactory(auditorium=auditorium, starts_at=start + timedelta(hours=2))
    later = ShowtimeFactory(auditorium=auditorium, starts_at=start + timedelta(hours=5))
    started = ShowtimeFactory(auditorium=auditorium, starts_at=start - timedelta(minutes=10))
    ada, bob = UserFactory(), UserFactory()
    due = make_paid_booking(ada, soon)
    make_paid_booking(bob, soon, status="pending", paid_at=None)  # never paid: no reminder
    make_paid_booking(bob, started)  # already running: too late
    due_later = make_paid_booking(bob, later)

    with time_machine.travel(start, tick=False):
        assert send_showtime_reminders() == 1
        assert send_showtime_reminders() == 0  # the same hour again
    assert _reminded() == [f"showtime_reminder:{due.pk}"]

    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert send_showtime_reminders() == 0  # an overlapping run half an hour on

    with time_machine.travel(start + timedelta(hours=2, minutes=30), tick=False):
        assert send_showtime_reminders() == 1  # the later show has come within 3 hours
        assert send_showtime_reminders() == 0
    assert _reminded() == sorted([f"showtime_reminder:{due.pk}", f"showtime_reminder:{due_later.pk}"])

    message = EmailMessage.objects.get(idempotency_key=f"showtime_reminder:{due.pk}")
    assert message.to == ada.email and soon.movie.title in message.subject
    assert due.reference in message.body_text and due.reference in message.body_html


@pytest.mark.django_db
def test_deleted_or_inactive_users_get_no_reminder(showtime, make_paid_booking, settings):
    showtime.starts_at = timezone.now() + timedelta(hours=1)
    showtime.save()
    gone = UserFactory(is_active=False, deleted_at=timezone.now())
    make_paid_booking(gone, showtime)
    assert send_showtime_reminders() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_remind_each_booking_once(auditorium, make_paid_booking):
    showtime = ShowtimeFactory(auditorium=auditorium, starts_at=timezone.now() + timedelta(hours=1))
    bookings = [make_paid_booking(UserFactory(), showtime, seats=1) for _ in range(25)]
    created, errors = run_at_once([send_showtime_reminders] * 2)

    assert errors == []
    assert sum(created) == 25  # between them, every booking once; neither created a duplicate
    assert _reminded() == sorted(f"showtime_reminder:{b.pk}" for b in bookings)


@pytest.mark.postgres  # SQLite's shared-cache test DB refuses a write while the test polls ("table is locked")
def test_the_hourly_task_delivers_reminders_through_the_worker(
    celery_worker, auditorium, make_paid_booking, accepting_smtp, use_providers
):
    use_providers(accepting_smtp)
    showtime = ShowtimeFactory(auditorium=auditorium, starts_at=timezone.now() + timedelta(hours=1))
    booking = make_paid_booking(UserFactory(), showtime)

    celery_worker.app.send_task("notifications.send_showtime_reminders")
    celery_worker.app.send_task("notifications.send_showtime_reminders")

    message = wait_for(lambda: EmailMessage.objects.filter(kind="showtime_reminder", status="sent").first())
    assert message.idempotency_key == f"showtime_reminder:{booking.pk}"
    assert EmailMessage.objects.filter(kind="showtime_reminder").count() == 1
    assert accepting_smtp.to(booking.user.email)[0]["Subject"].startswith("Reminder:")
