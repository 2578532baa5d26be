"""core.tasks: sends after commit never fail the caller; many sends share one producer."""

import pytest
import redis
from celery import current_app
from django.db import transaction

from core.tasks import enqueue_many_on_commit, send_tasks_safely
from tests.support.harness import needs_redis_server

pytestmark = [needs_redis_server, pytest.mark.django_db(transaction=True)]

TASK = "bookings.expire_stripe_session"  # routed to the `payments` queue


@pytest.fixture
def queue_length(own_redis, broker_at):
    broker_at(own_redis.url)
    client = redis.Redis.from_url(own_redis.url)
    return lambda: client.llen("payments")


def test_many_sends_are_published_after_commit_to_the_routed_queue(queue_length):
    with transaction.atomic():
        enqueue_many_on_commit(current_app.signature(TASK), [(f"id-{i}",) for i in range(50)])
        assert queue_length() == 0  # nothing before the commit
    assert queue_length() == 50


def test_nothing_is_sent_when_the_transaction_rolls_back(queue_length):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            enqueue_many_on_commit(current_app.signature(TASK), [("a",), ("b",)])
            raise RuntimeError("the change failed")
    assert queue_length() == 0


def test_a_down_broker_fails_nothing_and_sends_nothing(own_redis, queue_length):
    own_redis.stop()
    assert send_tasks_safely(current_app.signature(TASK), [("a",), ("b",)]) == 0
    own_redis.start()
    assert queue_length() == 0
