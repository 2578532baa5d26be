"""/readyz names the dependency that fails, within 2 seconds (a bound, measured on the real probe)."""

import socket
import time

import pytest
import requests

from tests.support.harness import app_env, needs_postgres_server, needs_redis_server

READY_BOUND_SECONDS = 2.0


def timed_get(client_or_url, path=""):
    started = time.monotonic()
    if isinstance(client_or_url, str):
        response = requests.get(client_or_url + path, timeout=10)
        body = response.json()
    else:
        response = client_or_url.get(path)
        body = response.json()
    return response.status_code, body, time.monotonic() - started


@pytest.fixture
def silent_port():
    """A port that accepts connections (kernel backlog) and never answers: a hung service."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


@needs_redis_server
@pytest.mark.django_db
def test_ready_when_database_and_broker_answer(client, settings, own_redis):
    settings.CELERY_BROKER_URL = own_redis.url
    status, body, _ = timed_get(client, "/readyz")
    assert status == 200 and body == {"status": "ok"}


@pytest.mark.django_db
def test_broker_on_a_closed_port_is_named_within_two_seconds(client, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed}/0"
    status, body, elapsed = timed_get(client, "/readyz")
    assert status == 503
    assert body["failed"] == ["broker"] and body["code"] == "not_ready" and "broker" in body["detail"]
    assert elapsed < READY_BOUND_SECONDS


@pytest.mark.django_db
def test_readyz_names_what_failed_but_shows_no_error_text(client, settings, caplog):
    """The public sees which dependency failed, never the exception (hosts, ports, users);
    operators find it in the log."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://cinema-user:s3cret@127.0.0.1:{closed}/0"
    with caplog.at_level("WARNING", logger="ops.health"):
        status, body, _ = timed_get(client, "/readyz")
    assert status == 503
    assert set(body) == {"status", "failed", "detail", "code"} and body["failed"] == ["broker"]
    text = str(body)
    assert str(closed) not in text and "Error" not in text and "refused" not in text.lower()
    logged = [r for r in caplog.records if r.name == "ops.health"]
    assert logged and "broker" in logged[0].getMessage() and logged[0].exc_info is not None


@pytest.mark.django_db
def test_a_hung_broker_is_named_within_two_seconds(client, settings, silent_port):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    status, body, elapsed = timed_get(client, "/readyz")
    assert status == 503 and body["failed"] == ["broker"]
    assert elapsed < READY_BOUND_SECONDS


@needs_redis_server
@pytest.mark.django_db
def test_a_stopped_redis_is_named_within_two_seconds(client, settings, own_redis):
    settings.CELERY_BROKER_URL = own_redis.url
    assert timed_get(client, "/readyz")[0] == 200
    own_redis.stop()
    status, body, elapsed = timed_get(client, "/readyz")
    assert status == 503 and body["failed"] == ["broker"]
    assert elapsed < READY_BOUND_SECONDS
    own_redis.start()
    assert timed_get(client, "/readyz")[0] == 200


@pytest.mark.slow
@needs_redis_server
@needs_postgres_server
def test_a_stopped_or_hung_database_is_named_within_two_seconds(own_postgres, own_redis, app_server, silent_port):
    """On a real app server: PostgreSQL down, then a database that accepts and never answers."""
    base = app_server(app_env(own_postgres.url(), own_redis.url), workers=1, threads=2)
    assert timed_get(base, "/readyz")[0] == 200

    own_postgres.stop()
    status, body, elapsed = timed_get(base, "/readyz")
    assert status == 503 and body["failed"] == ["database"], body
    assert elapsed < READY_BOUND_SECONDS

    own_redis.stop()
    status, body, elapsed = timed_get(base, "/readyz")
    assert status == 503 and body["failed"] == ["broker", "database"], body
    assert elapsed < READY_BOUND_SECONDS

    own_postgres.start()
    own_redis.start()
    assert timed_get(base, "/readyz")[0] == 200  # the same process recovers by itself

    hung = app_server(app_env(f"postgres://postgres@127.0.0.1:{silent_port}/x", own_redis.url), workers=1)
    status, body, elapsed = timed_get(hung, "/readyz")
    assert status == 503 and body["failed"] == ["database"]
    assert elapsed < READY_BOUND_SECONDS
