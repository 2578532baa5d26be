"""ops.broker on both brokers: a ping and the queue lengths through kombu, each bounded, and a
clear error (never an exception) when the broker is away."""

import time

import pytest

from ops import broker
from tests.support.harness import needs_rabbitmq_server, needs_redis_server, start_broker


@pytest.fixture(params=[pytest.param("redis", marks=needs_redis_server),
                        pytest.param("rabbitmq", marks=needs_rabbitmq_server)])
def any_broker(request, tmp_path):
    server = start_broker(request.param, tmp_path)
    server.kind = request.param
    yield server
    getattr(server, "destroy", server.stop)()


@pytest.mark.django_db
def test_ping_and_queue_lengths_answer_on_both_brokers_and_fail_cleanly_when_away(any_broker, broker_at):
    from core.tasks import send_tasks_safely
    from notifications.tasks import send_email, send_email_batch

    expected = {"redis": "redis", "rabbitmq": "amqp"}[any_broker.kind]
    assert broker.ping(any_broker.url) == expected
    broker_at(any_broker.url)
    assert send_tasks_safely(send_email_batch, [([1, 2],), ([3],)]) == 2  # routed to `email`
    assert send_tasks_safely(send_email, [(4,)]) == 1

    lengths = broker.queue_lengths(any_broker.url)
    assert lengths["broker"] == expected
    assert lengths["queues"] == {"default": 0, "payments": 0, "email": 3}
    assert lengths["unacked"] == (0 if expected == "redis" else None)

    any_broker.stop()
    started = time.monotonic()
    with pytest.raises(Exception):
        broker.ping(any_broker.url)
    assert "error" in broker.queue_lengths(any_broker.url)
    assert time.monotonic() - started < 5
