"""The broker as operators see it, on Redis and RabbitMQ alike: does it answer, and how many
tasks wait in each queue. Through kombu (the connection Celery itself uses), each check bounded
by a short timeout, so a probe or the dashboard still answers when the broker is away."""

from kombu import Connection
from kombu.exceptions import ChannelError

QUEUES = ("default", "payments", "email")
TIMEOUT_SECONDS = 1.0


def _connection(broker_url=None):
    from django.conf import settings

    url = broker_url or settings.CELERY_BROKER_URL
    options = {"socket_connect_timeout": TIMEOUT_SECONDS, "socket_timeout": TIMEOUT_SECONDS, "max_retries": 0}
    return Connection(url, connect_timeout=TIMEOUT_SECONDS, transport_options=options, heartbeat=0)


def kind(broker_url=None):
    """'redis' or 'amqp' (the transport kombu picks for the URL)."""
    with _connection(broker_url) as conn:
        return conn.transport.driver_type


def ping(broker_url=None):
    """Raise when the broker does not answer within about a second; return its transport name."""
    with _connection(broker_url) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS)
        if conn.transport.driver_type == "redis":
            conn.default_channel.client.ping()  # the connection itself is lazy on Redis
        return conn.transport.driver_type


def _waiting(conn, queue):
    """Messages ready in `queue`: a passive declare (RabbitMQ; Redis through kombu's emulation,
    priority sub-queues included). A queue never declared yet holds nothing."""
    channel = conn.channel()
    try:
        if conn.transport.driver_type == "redis":
            return channel._size(queue)
        return channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:  # 404: not declared yet (RabbitMQ closes the channel; ours is thrown away)
        return 0
    finally:
        try:
            channel.close()
        except Exception:  # a channel closed by the broker after a 404 may fail to close again
            pass


def queue_lengths(broker_url=None):
    """{"broker": transport, "queues": {name: waiting}, "unacked": n or None} or {"error": "..."}
    when the broker does not answer. `unacked` (taken by workers, not yet done, countdown tasks
    included) is known on Redis only; RabbitMQ tells it in its management API, not over AMQP."""
    try:
        with _connection(broker_url) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS)
            queues = {queue: _waiting(conn, queue) for queue in QUEUES}
            unacked = None
            if conn.transport.driver_type == "redis":
                unacked = conn.default_channel.client.hlen("unacked")
            return {"broker": conn.transport.driver_type, "queues": queues, "unacked": unacked}
    except Exception as exc:  # any failure to reach the broker is reported, never raised
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
