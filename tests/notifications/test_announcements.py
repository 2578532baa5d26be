"""New-movie announcements: once per movie, to consenting active users, in counted batches."""

import math
import re

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from notifications.announcements import plan_announcement
from notifications.models import Announcement, AnnouncementBatch, EmailMessage, SuppressedAddress
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
def test_only_active_not_deleted_opted_in_verified_unsuppressed_users_are_announced_to(movie, settings):
    settings.ANNOUNCEMENT_BATCH_SIZE = 2
    fan = UserFactory(marketing_opt_in=True, language="vi", first_name="<b>Lan</b>")
    UserFactory(marketing_opt_in=True, is_active=False)
    UserFactory(marketing_opt_in=True, deleted_at=timezone.now())
    UserFactory(marketing_opt_in=False)
    UserFactory(marketing_opt_in=True, email_verified_at=None)  # address never verified
    suppressed = UserFactory(marketing_opt_in=True, email="Gone@Example.com")
    SuppressedAddress.objects.create(email="gone@example.com")  # unsubscribed from a campaign

    plan_announcement(movie.pk)

    [message] = EmailMessage.objects.filter(kind="new_movie")
    assert message.to == fan.email and message.idempotency_key == f"new_movie:{movie.pk}:{fan.pk}"
    assert message.language == "vi" and message.subject.startswith("Phim mới")
    assert "Xin chào <b>Lan</b>" in message.body_text
    assert "&lt;b&gt;Lan&lt;/b&gt;" in message.body_html  # the name is escaped in HTML
    assert not EmailMessage.objects.filter(to=suppressed.email).exists()


@pytest.mark.django_db
def test_the_planner_makes_every_row_and_one_send_batch_per_batch_of_users(
    movie, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import outbox

    settings.ANNOUNCEMENT_BATCH_SIZE = 3
    _make_users(opted_in=7, opted_out=2)
    published = []
    monkeypatch.setattr(outbox, "send_task_safely", lambda task, args, **kw: published.append((task.name, args)))
    monkeypatch.setattr(outbox, "enqueue_many_on_commit",
                        lambda task, args_list: published.extend((task.name, a) for a in args_list))

    plan_announcement(movie.pk)

    announcement = Announcement.objects.get(movie=movie)
    assert (announcement.status, announcement.recipients) == ("done", 7)
    assert announcement.total_batches == announcement.batches_done == 3
    rows = list(EmailMessage.objects.filter(kind="new_movie").order_by("id").values_list("id", flat=True))
    assert len(rows) == 7
    assert [name for name, _ in published] == ["notifications.send_email_batch"] * 3
    assert [len(args[0]) for _, args in published] == [3, 3, 1]
    assert sorted(i for _, args in published for i in args[0]) == rows


@pytest.mark.django_db
def test_running_the_announcement_again_sends_and_counts_nothing_twice(movie, settings):
    settings.ANNOUNCEMENT_BATCH_SIZE = 3
    _make_users(opted_in=7, opted_out=0)

    plan_announcement(movie.pk)
    plan_announcement(movie.pk)

    announcement = Announcement.objects.get(movie=movie)
    assert (announcement.batches_done, announcement.total_batches, announcement.status) == (3, 3, "done")
    assert AnnouncementBatch.objects.filter(announcement=announcement).count() == 3
    assert EmailMessage.objects.filter(kind="new_movie").count() == 7


@pytest.mark.django_db
def test_a_planner_stopped_half_way_goes_on_from_its_cursor(movie, settings):
    """Given a planner killed after its first chunk, running it again makes only the rest."""
    from notifications import announcements

    settings.ANNOUNCEMENT_BATCH_SIZE = 2
    _make_users(opted_in=5, opted_out=0)
    announcement = Announcement.objects.create(movie=movie)
    Announcement.objects.filter(pk=announcement.pk).update(status="sending", total_batches=3)
    templates = announcements._NewMovieTemplates(movie)
    original = announcements.PLAN_CHUNK
    announcements.PLAN_CHUNK = 2
    try:
        assert announcements._plan_chunk(announcement.pk, templates)  # one chunk, then the worker dies
    finally:
        announcements.PLAN_CHUNK = original
    assert EmailMessage.objects.filter(kind="new_movie").count() == 2

    plan_announcement(movie.pk)

    assert EmailMessage.objects.filter(kind="new_movie").count() == 5
    announcement.refresh_from_db()
    assert (announcement.status, announcement.recipients, announcement.batches_done) == ("done", 5, 3)


@pytest.mark.django_db
def test_planning_queries_do_not_grow_with_the_users_of_a_chunk(movie, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ANNOUNCEMENT_BATCH_SIZE = 40
    _make_users(opted_in=40, opted_out=0)
    with CaptureQueriesContext(connection) as few:
        plan_announcement(movie.pk)
    User.objects.bulk_create(User(username=f"more{i}", email=f"more{i}@example.com", marketing_opt_in=True,
                                  email_verified_at=timezone.now()) for i in range(600))
    other = MovieFactory()
    with CaptureQueriesContext(connection) as many:
        plan_announcement(other.pk)  # 640 users: still one chunk (PLAN_CHUNK 1000), 16 batches

    assert EmailMessage.objects.filter(kind="new_movie").count() == 40 + 640
    assert len(many) == len(few) <= 25


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
        plan_announcement(other.pk)  # planned to the end: nothing to sweep
        assert announcements.requeue_stuck_announcements() == []  # too recent: still in flight

    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert announcements.requeue_stuck_announcements() == [movie.pk]
    assert {name for name, _ in sent} == {"notifications.announce_movie"}
