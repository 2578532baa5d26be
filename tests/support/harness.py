"""Process harness for the resilience tests: our own Redis, PostgreSQL cluster, Celery worker and
beat subprocesses and an app server (tests/ops/conftest.py makes fixtures of them).

Everything here is started on free loopback ports in a temporary folder and stopped by the test
that started it (never the shared services). A supervised process is restarted when it dies, the
way compose's `restart: unless-stopped` does (Celery issue #9250 can make a worker exit after a
pool child was replaced)."""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.support.net import free_port, port_answers
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

TEST_STRIPE_SECRET = "whsec_test_secret"  # tests/settings.py's, so the test client and the worker agree


def redis_binary():
    for candidate in ("/usr/bin/redis-server", shutil.which("redis-server")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


needs_redis_server = pytest.mark.skipif(redis_binary() is None, reason="needs redis-server")
needs_postgres_server = pytest.mark.skipif(
    postgres_bin() is None or shutil.which("runuser") is None, reason="needs Debian's postgresql"
)


# --- Redis ------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own; `stop()` kills it like a crash, `start()` brings it back on the same port."""

    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_answers(self.port), 10, 0.05, "redis up")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        wait_for(lambda: not port_answers(self.port), 10, 0.05, "redis down")


# --- PostgreSQL -------------------------------------------------------------------------------


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb in ~1.5 s), run as the postgres user."""

    def __init__(self):
        self.bin = postgres_bin()
        self.folder = tempfile.mkdtemp(prefix="ops-pg-")
        os.chmod(self.folder, 0o755)
        subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", f"{self.folder}/pg"], check=True)
        self.data = f"{self.folder}/pg/data"
        self.port = free_port()
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{self.bin}/initdb", "-D", self.data, "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "-U", "postgres"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def url(self, dbname="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def _ctl(self, *args):
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", self.data, "-l",
             f"{self.folder}/pg/log", *args],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )

    def start(self):
        self._ctl("-w", "-o", f"-p {self.port} -k {self.folder}/pg -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
                  "start")

    def stop(self, mode="fast"):
        self._ctl("-m", mode, "-w", "stop")

    def createdb(self, name):
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


# --- app processes ----------------------------------------------------------------------------


def app_env(database_url, broker_url, **extra):
    """The environment of a production-like process (config.settings, DEBUG off)."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "CELERY_", "DATABASE_", "EMAIL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="ops-test-secret-key-long-enough-for-production-0123456789",
        PAYMENT_GATEWAY="local",
        STRIPE_WEBHOOK_SECRET=TEST_STRIPE_SECRET,
        SITE_URL="http://testserver",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        PYTHONUNBUFFERED="1",
        PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


class SupervisedProcess:
    """A subprocess restarted when it exits on its own (compose's `restart: unless-stopped`)."""

    def __init__(self, name, argv, env, log_dir):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.proc = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = None

    def start(self):
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name=f"supervise-{self.name}")
        self._watcher.start()
        return self

    def _spawn(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def _watch(self):
        while not self._stopping.is_set():
            with self._lock:
                if self.proc.poll() is not None and not self._stopping.is_set():
                    self.restarts += 1
                    self._spawn()
            time.sleep(0.2)

    @property
    def pid(self):
        return self.proc.pid

    def children(self):
        """Pids of the direct children (a prefork worker's pool processes)."""
        import psutil

        try:
            return [child.pid for child in psutil.Process(self.proc.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop_with(self, sig):
        """Signal the main process and let it exit for good (no restart), like `docker compose stop`."""
        self._stopping.set()
        with self._lock:
            self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=20):
        self._stopping.set()
        with self._lock:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
            else:  # the group may still hold pool children of a dead main process
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def celery_worker_argv(concurrency=1, pool="prefork"):
    """The compose worker's command (no -Q: every queue), with a test-sized pool."""
    return [PYTHON, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", f"--pool={pool}",
            f"--concurrency={concurrency}", "--max-tasks-per-child=100", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-n", f"ops{free_port()}@%h"]


def celery_beat_argv(folder):
    return [PYTHON, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
            "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
            f"--pidfile={folder}/beat.pid"]


def test_database_url():
    """The URL of the database pytest-django made for this run (for subprocesses to share it)."""
    from django.db import connection

    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


# --- pointing this process's Celery app at our Redis ------------------------------------------


def reset_pools(app):
    """Forget pooled connections to the previous broker (a force-closed pool lends nothing)."""
    import kombu.pools

    kombu.pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


# --- an app server (what compose's web runs) --------------------------------------------------


def gunicorn_argv(port, workers=2, threads=4):
    return [PYTHON, "-m", "gunicorn", "config.wsgi", f"--bind=127.0.0.1:{port}", f"--workers={workers}",
            f"--threads={threads}", "--timeout=30", "--graceful-timeout=1"]


def get_status(url):
    import requests

    try:
        return requests.get(url, timeout=1).status_code
    except requests.RequestException:
        return None
