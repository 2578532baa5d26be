"""Shared set-up of the notification benchmarks (bench/fanout.py, bench/email_throughput.py):
a fresh `<db>_mailbench` PostgreSQL database migrated from DATABASE_URL (or a temporary SQLite
file when allowed), the project's settings from the environment, and an SMTP sink."""

import os
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _net import free_port  # noqa: E402


def bench_database(require_postgres):
    """Point DATABASE_URL at a freshly created `<name>_mailbench` database and return it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        if require_postgres:
            sys.exit("Set DATABASE_URL=postgres://… (this benchmark creates <name>_mailbench beside it).")
        url = f"sqlite:///{tempfile.mkdtemp(prefix='mailbench-')}/bench.sqlite3"
        os.environ["DATABASE_URL"] = url
        return url
    import psycopg

    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "cinema") + "_mailbench"
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunparse(parsed._replace(path="/" + name))
    os.environ["DATABASE_URL"] = url
    return url


def setup_django(**env):
    """Settings from the environment (development defaults), django.setup(), migrate."""
    os.environ.update({k: str(v) for k, v in env.items()})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Production settings: with DEBUG on, Django keeps every query's SQL (up to 9,000) in memory,
    # which would show as the worker's memory growing with N.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-long-enough-for-production-settings")
    os.environ.setdefault("PAYMENT_GATEWAY", "local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class SMTPSink:
    """An aiosmtpd server in its own process (as a real provider is), accepting everything.

    In-process, its thread would contend for the GIL with the client being measured."""

    def __init__(self):
        import subprocess

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{self.port}"]
        )
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP sink did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
