"""New-movie announcements: once per movie, to consenting active users, in counted batches."""

import math
import re

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.announcements import plan_announcement, send_announcement_batch
from notifications.models import Announcement, AnnouncementBatch, EmailMessage
from tests.support.waiting import wait_for
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory

UNSUBSCRIBE_LINK = re.compile(r"http://testserver/unsubscribe/[^/\s\"<>]+/")


def _make_users(opted_in, opted_out):
    verified = timezone.now()
    users = [
        User(username=f"fan{i}", email=f"fan{i}@example.com", marketing_opt_in=True, email_verified_at=verified)
        for i in range(opted_in)
    ]
    users += [User(username=f"quiet{i}", email=f"quiet{i}@example.com", marketing_opt_in=False) for i in range(opted_out)]
    User.objects.bulk_create(users)


@pytest.mark.django_db
def test_first_showtime_creates_the_announcement_and_enqueues_it_once(
    movie, auditorium, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        ShowtimeFactory(movie=movie, auditorium=auditorium)
    assert Announcement.objects.filter(movie=movie).count() == 1
    assert len(callbacks) == 1

    with django_capture_on_commit_callbacks() as callbacks:
        ShowtimeFactory(movie=movie, auditorium=auditorium, starts_at=timezone.now() + timezone.timedelta(days=5))
    assert Announcement.objects.filter(movie=movie).count() == 1
    assert callbacks == []  # a second showtime announces nothing


@pytest.mark.postgres  # SQLite's shared-cache test DB refuses a write while the test polls ("table is locked")
def test_announcement_reaches_110_of_120_users_in_counted_batches(
    celery_worker, accepting_smtp, use_providers, settings
):
    settings.ANNOUNCEMENT_BATCH_SIZE = 25
    use_providers(accepting_smtp)
    _make_users(opted_in=110, opted_out=10)
    movie = MovieFactory(title="The Long Night")

    with transaction.atomic():
        ShowtimeFactory(movie=movie)  # its first showtime: announce after commit

    wait_for(lambda: Announcement.objects.filter(movie=movie, status="done").exists(), timeout=30)
    wait_for(lambda: EmailMessage.objects.filter(kind="new_movie", status="sent").count() == 110, timeout=60)

    announcement = Announcement.objects.get(movie=movie)
    assert announcement.total_batches == announcement.batches_done == math.ceil(110 / 25)
    assert announcement.recipients == 110 and announcement.finished_at
    recipients = {m["rcpt_tos"][0] for m in accepting_smtp.messages}
    assert len(accepting_smtp.messages) == 110
    assert recipients == {f"fan{i}@example.com" for i in range(110)}

    received = accepting_smtp.to("fan7@example.com")[0]
    link = UNSUBSCRIBE_LINK.search(received.get_body(("plain",)).get_content()).group(0)
    assert link in received.get_body(("html",)).get_content()
    assert received["List-Unsubscribe"].strip() == f"<{link}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "The Long Night" in received["Subject"]


@pytest.mark.django_db
def test_only_active_not_deleted_opted_in_verified_users_are_announced_to(movie, settings):
    settings.ANNOUNCEMENT_BATCH_SIZE = 2
    fan = UserFactory(marketing_opt_in=True, language="vi", first_name="<b>Lan</b>")
    UserFactory(marketing_opt_in=True, is_active=False)
    UserFactory(marketing_opt_in=True, deleted_at=timezone.now())
    UserFactory(marketing_opt_in=False)
    UserFactory(marketing_opt_in=True, email_verified_at=None)  # address never verified

    plan_announcement(movie.pk)
    for batch in AnnouncementBatch.objects.all():
        send_announcement_batch(movie.pk, batch.from_user_id, batch.before_user_id)

    [message] = EmailMessage.objects.filter(kind="new_movie")
    assert message.to == fan.email and message.idempotency_key == f"new_movie:{movie.pk}:{fan.pk}"
    assert message.language == "vi" and message.subject.startswith("Phim mới")
    assert "Xin chào <b>Lan</b>" in message.body_text
    assert "&lt;b&gt;Lan&lt;/b&gt;" in message.body_html  # the name is escaped in HTML


@pytest.mark.django_db
def test_running_the_announcement_or_a_batch_again_sends_and_counts_nothing_twice(movie, settings):
    settings.ANNOUNCEMENT_BATCH_SIZE = 3
    _make_users(opted_in=7, opted_out=0)

    plan_announcement(movie.pk)
    plan_announcement(movie.pk)
    batches = list(AnnouncementBatch.objects.order_by("from_user_id"))
    assert len(batches) == 3 and Announcement.objects.get(movie=movie).total_batches == 3

    first = batches[0]
    assert send_announcement_batch(movie.pk, first.from_user_id, first.before_user_id) == 3
    assert send_announcement_batch(movie.pk, first.from_user_id, first.before_user_id) == 0
    assert Announcement.objects.get(movie=movie).batches_done == 1
    for batch in batches[1:]:
        send_announcement_batch(movie.pk, batch.from_user_id, batch.before_user_id)

    announcement = Announcement.objects.get(movie=movie)
    assert (announcement.batches_done, announcement.status) == (3, "done")
    assert EmailMessage.objects.filter(kind="new_movie").count() == 7


@pytest.mark.django_db
def test_a_batch_reads_a_bounded_number_of_queries(movie, settings, django_assert_max_num_queries):
    settings.ANNOUNCEMENT_BATCH_SIZE = 40
    _make_users(opted_in=40, opted_out=0)
    plan_announcement(movie.pk)
    batch = AnnouncementBatch.objects.get()
    with django_assert_max_num_queries(12):
        assert send_announcement_batch(movie.pk, batch.from_user_id, batch.before_user_id) == 40


@pytest.mark.django_db
def test_the_sweep_finds_announcements_whose_enqueue_was_lost(movie, settings, monkeypatch):
    from datetime import timedelta

    import time_machine

    from notifications import announcements

    sent = []
    monkeypatch.setattr(announcements, "send_task_safely", lambda task, args: sent.append((task.name, args)))
    settings.REQUEUE_STALE_AFTER_SECONDS = 300
    settings.ANNOUNCEMENT_BATCH_SIZE = 2
    _make_users(opted_in=4, opted_out=0)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        Announcement.objects.create(movie=movie)  # its announce_movie enqueue was lost
        other = MovieFactory()
        plan_announcement(other.pk)  # planned; one batch done, the other's enqueue lost
        first = AnnouncementBatch.objects.filter(announcement__movie=other).order_by("from_user_id").first()
        send_announcement_batch(other.pk, first.from_user_id, first.before_user_id)
        assert announcements.requeue_stuck_announcements() == []  # too recent: still in flight

    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert sorted(announcements.requeue_stuck_announcements()) == sorted([movie.pk, other.pk])
    assert {name for name, _ in sent} == {"notifications.announce_movie"}
