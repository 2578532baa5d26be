"""The webhook, the sync task and the sweeper on a real Celery worker and a real Redis."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import ClerkEvent, User
from accounts.tasks import requeue_stale_clerk_events
from tests.support.waiting import wait_for

from tests.support.clerk import T0, user_event


def processed(svix_id):
    return ClerkEvent.objects.filter(svix_id=svix_id).exclude(status=ClerkEvent.Status.PENDING).first()


@pytest.mark.django_db(transaction=True)
def test_a_webhook_delivery_is_applied_by_the_worker(celery_worker, post_event):
    response = post_event(user_event("user.created", "user_w", email="worker@example.com"), msg_id="msg_w1")
    assert response.status_code == 200

    event = wait_for(lambda: processed("msg_w1"))

    assert event.status == ClerkEvent.Status.PROCESSED, event.last_error
    user = User.objects.get(clerk_id="user_w")
    assert (user.email, user.last_clerk_event) == ("worker@example.com", "msg_w1")

    # The same delivery again: 200, nothing stored or changed twice.
    again = post_event(user_event("user.created", "user_w", email="other@example.com"), msg_id="msg_w1")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    newer = post_event(user_event("user.deleted", "user_w"), msg_id="msg_w2")
    assert newer.status_code == 200
    wait_for(lambda: processed("msg_w2"))
    assert ClerkEvent.objects.filter(svix_id="msg_w1").get().attempts == 1
    user.refresh_from_db()
    assert (user.email, user.is_active, user.deleted_at is not None) == ("", False, True)


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_re_enqueues_an_event_whose_enqueue_was_lost(celery_worker, settings):
    settings.REQUEUE_STALE_AFTER_SECONDS = 300
    lost = ClerkEvent.objects.create(
        svix_id="msg_lost",
        type="user.created",
        clerk_user_id="user_lost",
        payload=user_event("user.created", "user_lost", updated_at=T0),
    )
    fresh = ClerkEvent.objects.create(
        svix_id="msg_fresh",
        type="user.created",
        clerk_user_id="user_fresh",
        payload=user_event("user.created", "user_fresh", updated_at=T0),
    )
    ClerkEvent.objects.filter(pk=lost.pk).update(received_at=timezone.now() - timedelta(seconds=301))

    requeue_stale_clerk_events.delay()

    wait_for(lambda: processed("msg_lost"))
    assert User.objects.filter(clerk_id="user_lost", email="user_lost@example.com").exists()
    # Not stale yet: its own enqueue may still be on its way; the sweeper leaves it alone.
    fresh.refresh_from_db()
    assert fresh.status == ClerkEvent.Status.PENDING


@pytest.mark.django_db
def test_the_sweeper_runs_every_minute_after_migrate():
    task = PeriodicTask.objects.get(name="accounts.requeue_stale_clerk_events")
    assert task.task == "accounts.requeue_stale_clerk_events"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, "minutes")


def _point_broker_at(app, settings, monkeypatch, url):
    """Celery reads the CELERY_BROKER_URL environment variable first, then Django's settings
    (`app.conf.broker_url = …` overrides neither); pooled connections to the old URL are dropped."""
    import kombu.pools

    monkeypatch.setenv("CELERY_BROKER_URL", url)
    settings.CELERY_BROKER_URL = url
    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_delivery_during_a_broker_outage_is_answered_and_applied_once_the_broker_is_back(
    request, celery_app, redis_url, settings, post_event, caplog, monkeypatch
):
    from tests.support.net import free_port

    _point_broker_at(celery_app, settings, monkeypatch, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        response = post_event(user_event("user.created", "user_outage"), msg_id="msg_outage")
    finally:
        _point_broker_at(celery_app, settings, monkeypatch, redis_url)

    assert response.status_code == 200
    assert "could not enqueue accounts.sync_user" in caplog.text
    assert ClerkEvent.objects.get(svix_id="msg_outage").status == ClerkEvent.Status.PENDING

    request.getfixturevalue("celery_worker")
    settings.REQUEUE_STALE_AFTER_SECONDS = 0
    requeue_stale_clerk_events.delay()

    wait_for(lambda: processed("msg_outage"))
    assert User.objects.filter(clerk_id="user_outage", email="user_outage@example.com").exists()
