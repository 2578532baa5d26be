"""Set-up shared by bench/seatmap.py and bench/expiry_sweep.py: a fresh database and (when
redis-server is installed) a throwaway Redis, then Django with the project's settings.

Database: `<name>_<suffix>` beside DATABASE_URL when that is PostgreSQL; else a throwaway
PostgreSQL cluster when Debian's postgresql is installed; else a temporary SQLite file (said so
in the output, since the figures then mean less)."""

import atexit
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _net import free_port  # noqa: E402


def _throwaway_postgres():
    """initdb + pg_ctl as the postgres user in a temporary folder; stopped at exit."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb or not shutil.which("runuser"):
        return None
    bin_dir, folder, port = os.path.dirname(initdb[-1]), tempfile.mkdtemp(prefix="bench-pg-"), free_port()
    os.chmod(folder, 0o755)
    subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", f"{folder}/pg"], check=True)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run([*as_postgres, f"{bin_dir}/initdb", "-D", f"{folder}/pg/data", "-A", "trust", "-E", "UTF8",
                    "--locale=C.UTF-8", "--no-sync", "-U", "postgres"], **quiet)
    options = f"-p {port} -k {folder}/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    subprocess.run([*as_postgres, f"{bin_dir}/pg_ctl", "-D", f"{folder}/pg/data", "-l", f"{folder}/pg/log", "-w",
                    "-o", options, "start"], **quiet)

    def stop():
        subprocess.run([*as_postgres, f"{bin_dir}/pg_ctl", "-D", f"{folder}/pg/data", "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def fresh_database(suffix):
    """Point DATABASE_URL at a new, empty database and return a description of it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = _throwaway_postgres()
        if url is None:
            os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
            return "SQLite (temporary file; PostgreSQL not available)"
    import psycopg

    parsed = urlparse(url)
    name = f"{parsed.path.lstrip('/') or 'cinema'}_{suffix}"
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path="/" + name))
    return f"PostgreSQL {version} (database {name})"


def throwaway_redis():
    """A redis-server on a free port for the life of this process; memory:// when none is installed."""
    binary = next((b for b in ("/usr/bin/redis-server", shutil.which("redis-server")) if b and os.path.exists(b)), None)
    if binary is None:
        return "memory://", "in-memory broker (redis-server not installed)"
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(proc.kill)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0", f"Redis on port {port}"


def setup_django(**env):
    """Production settings from the environment (DEBUG off, so no query log), django.setup(), migrate."""
    os.environ.update({key: str(value) for key, value in env.items()})
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-long-enough-for-production-settings")
    os.environ.setdefault("PAYMENT_GATEWAY", "local")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
