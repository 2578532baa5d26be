"""Fixtures of the resilience tests: our own Redis, PostgreSQL, worker and beat processes, an app
server and a counting SMTP server, each stopped by the test that started it (tests/support/harness.py
has the process helpers)."""

import pytest
from aiosmtpd.controller import Controller

from tests.support.harness import (
    PostgresCluster,
    RedisServer,
    SupervisedProcess,
    get_status,
    gunicorn_argv,
    reset_pools,
)
from tests.support.net import free_port
from tests.support.smtp import CountingSMTPHandler
from tests.support.waiting import wait_for


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_postgres():
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def processes(tmp_path):
    """start(name, argv, env) -> a SupervisedProcess; every one is stopped after the test.

    On a failure the logs are printed, so a broken worker explains itself."""
    started = []

    def start(name, argv, env):
        process = SupervisedProcess(name, argv, env, tmp_path).start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()
    for process in started:
        print(f"----- {process.name} (restarts: {process.restarts}) -----\n{process.log()[-6000:]}")


@pytest.fixture
def broker_at(settings, monkeypatch):
    """broker_at(url): settings and the Celery app of this process publish to `url` from now on.

    Celery reads the CELERY_BROKER_URL environment variable before its own configuration."""
    from config.celery import app

    original = app.conf.broker_url

    def point(url):
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        app.conf.task_always_eager = False
        reset_pools(app)

    yield point
    monkeypatch.undo()
    app.conf.broker_url = original
    reset_pools(app)


@pytest.fixture
def smtp_server():
    handler = CountingSMTPHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    handler.release.set()
    controller.stop()


@pytest.fixture
def app_server(processes):
    """app_server(env) -> base URL of a gunicorn serving config.wsgi with that environment."""

    def start(env, workers=2, threads=4):
        port = free_port()
        server = start.server = processes("web", gunicorn_argv(port, workers, threads), env)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: get_status(f"{base}/healthz") == 200, 30, 0.1, "web up")
        start.base = base
        return base

    return start
