"""Production smoke: the runtime of requirements.txt alone, started as an operator would, and one
booking walked through it.

    python scripts/prod_smoke.py --venv /path/to/venv-from-requirements.txt

With DATABASE_URL (a PostgreSQL server; a database `<name>_prod_smoke` is created next to the
named one and dropped again) and CELERY_BROKER_URL (Redis) from the environment (.ci/services.sh
exports both), and DEBUG=false with production settings it runs, from the given venv:
`manage.py prepare_release` (collectstatic + migrate + check --deploy), `seed_demo`, a superuser
and its API token, then `gunicorn config.wsgi`, `celery -A config worker` and `celery -A config
beat`. It walks one booking (hold -> local payment -> paid -> confirmation email received by an
aiosmtpd sink run here, outside the runtime), stops the three processes with SIGTERM and fails
(exit 1) when a process does not start, does not stop, or a step does not hold.

This script runs with the development venv (aiosmtpd and psycopg live there); nothing of the
runtime is imported here: the runtime's processes all come from --venv.
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_bytes
from email.policy import default as default_policy
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "smoke-" + secrets.token_urlsafe(16)


class SmokeFailed(Exception):
    pass


def say(text):
    print(f"[prod-smoke {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what, check, timeout, procs=()):
    """Poll `check` until it returns a truthy value; fail early when a watched process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise SmokeFailed(f"{proc.name} exited with {proc.returncode} while waiting for {what}:\n{proc.tail()}")
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise SmokeFailed(f"timed out after {timeout} s waiting for {what}")


# --- the mail sink --------------------------------------------------------------------------


class Sink:
    """An aiosmtpd server that keeps every message it accepts."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


# --- the runtime's processes ------------------------------------------------------------------


class Process:
    def __init__(self, name, argv, env, log_dir):
        self.name = name
        self.log_path = Path(log_dir) / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.returncode = None

    def poll(self):
        self.returncode = self.proc.poll()
        return self.returncode

    def text(self):
        return self.log_path.read_text(errors="replace")

    def tail(self, lines=30):
        return "\n".join(self.text().splitlines()[-lines:])

    def stop(self, timeout=40):
        """SIGTERM and wait: a clean stop is an exit within the timeout with status 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise SmokeFailed(f"{self.name} did not stop within {timeout} s of SIGTERM:\n{self.tail()}")
        finally:
            self.log.close()
        return self.returncode


def run(venv, argv, env, what):
    result = subprocess.run([str(venv / "bin" / argv[0]), *argv[1:]], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SmokeFailed(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    say(f"{what}: ok")
    return result.stdout


# --- HTTP, as a browser behind a TLS proxy would talk to it -----------------------------------


class Client:
    """urllib with a cookie jar that ignores `Secure` (the proxy in front would have TLS), and the
    proxy's `X-Forwarded-Proto: https` on every request."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}
        self.https_origin = "https://" + urllib.parse.urlsplit(base).netloc
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, method, path, data=None, json_body=None, headers=None):
        url = path if path.startswith("http") else self.base + path
        headers = {"X-Forwarded-Proto": "https", "Referer": self.https_origin + "/", **(headers or {})}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            response = self.opener.open(req, timeout=20)
        except urllib.error.HTTPError as exc:
            response = exc
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return response.status, dict(response.headers), response.read()

    def json(self, method, path, expect, **kwargs):
        status, _, body = self.request(method, path, **kwargs)
        if status != expect:
            raise SmokeFailed(f"{method} {path}: expected {expect}, got {status}: {body[:500]!r}")
        return json.loads(body)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_token_of(html):
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


# --- the database -----------------------------------------------------------------------------


def smoke_database(url):
    """A fresh database beside the one DATABASE_URL names (same server)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_prod_smoke"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path="/" + name)), admin_url, name


def drop_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the walk ---------------------------------------------------------------------------------


def walk_one_booking(client, sink, token):
    showtime = client.json("GET", "/api/v1/showtimes/", 200)["results"][-1]  # upcoming ones, the latest
    seats = client.json("GET", f"/api/v1/showtimes/{showtime['id']}/seats/", 200)["seats"]
    seat = next(s for s in seats if s["status"] == "available")
    auth = {"Authorization": f"Token {token}"}
    booking = client.json("POST", "/api/v1/bookings/", 201, json_body={"showtime": showtime["id"], "seats": [seat["id"]]},
                          headers=auth)
    say(f"hold: booking {booking['reference']} pending, seat {seat['label']}, {booking['total']} {booking['currency']}")
    checkout = client.json("POST", f"/api/v1/bookings/{booking['id']}/checkout/", 200, headers=auth)
    pay_path = urllib.parse.urlsplit(checkout["checkout_url"]).path
    status, _, body = client.request("GET", pay_path)
    if status != 200:
        raise SmokeFailed(f"GET {pay_path}: {status}")
    status, headers, body = client.request("POST", pay_path, data={"csrfmiddlewaretoken": csrf_token_of(body.decode())})
    if status != 302:
        raise SmokeFailed(f"POST {pay_path} (local payment): expected a redirect, got {status}: {body[:300]!r}")
    say(f"local payment: {status} -> {headers.get('Location')}")
    paid = client.json("GET", f"/api/v1/bookings/{booking['id']}/", 200, headers=auth)
    if paid["status"] != "paid" or len(paid.get("tickets", [])) != 1:
        raise SmokeFailed(f"booking not paid with one ticket: {paid}")
    say(f"paid: status {paid['status']}, ticket {paid['tickets'][0]['code'][:12]}…")

    def confirmation():
        return next((m for m in sink.messages if booking["reference"] in str(m["Subject"]) + m.get_body(("plain",)).get_content()), None)

    message = wait_for("the confirmation email in the SMTP sink", confirmation, 60)
    say(f"email received by the sink: To {message['To']}, Subject {message['Subject']!r}, "
        f"{sum(1 for p in message.walk() if p.get_content_type() == 'image/png')} PNG part(s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", required=True, type=Path, help="a venv made from requirements.txt alone")
    args = parser.parse_args()
    venv = args.venv.resolve()
    for key in ("DATABASE_URL", "CELERY_BROKER_URL"):
        if not os.environ.get(key):
            raise SystemExit(f"{key} must be set (.ci/services.sh exports it)")

    database_url, admin_url, db_name = smoke_database(os.environ["DATABASE_URL"])
    work = Path(tempfile.mkdtemp(prefix="prod-smoke-"))
    web_port = free_port()
    processes = []
    with Sink() as sink:
        env = {
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(work),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{web_port}",
            "SECURE_SSL_REDIRECT": "true",  # the client talks as the TLS proxy would (X-Forwarded-Proto)
            "PAYMENT_GATEWAY": "local",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "STATIC_ROOT": str(work / "static"),
            # A staging box: the local gateway takes no money, which check --deploy reports as an
            # error on purpose; the operator silences that one check by name.
            "SILENCED_SYSTEM_CHECKS": "payments.E001",
            "LOG_LEVEL": "INFO",
            "DJANGO_SUPERUSER_USERNAME": "smoke",
            "DJANGO_SUPERUSER_EMAIL": "smoke@example.com",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        try:
            run(venv, ["python", "manage.py", "prepare_release"], env,
                "prepare_release (collectstatic, migrate, check --deploy)")
            run(venv, ["python", "manage.py", "seed_demo"], env, "seed_demo")
            run(venv, ["python", "manage.py", "createsuperuser", "--noinput"], env, "createsuperuser")
            token = run(venv, ["python", "manage.py", "drf_create_token", "smoke"], env, "drf_create_token").split()[2]

            web = Process("gunicorn", [str(venv / "bin" / "gunicorn"), "config.wsgi", f"--bind=127.0.0.1:{web_port}",
                                       "--workers=2", "--timeout=30", "--access-logfile=-"], env, work)
            worker = Process("worker", [str(venv / "bin" / "celery"), "-A", "config", "worker", "--loglevel=INFO",
                                        "--concurrency=2", "--without-gossip", "--without-mingle"], env, work)
            beat = Process("beat", [str(venv / "bin" / "celery"), "-A", "config", "beat", "--loglevel=INFO",
                                    f"--schedule={work / 'celerybeat-schedule'}", "--pidfile="], env, work)
            processes = [web, worker, beat]
            client = Client(f"http://127.0.0.1:{web_port}")

            def ready():
                try:
                    return client.request("GET", "/readyz")[0] == 200
                except OSError:
                    return False

            wait_for("gunicorn /readyz 200 (database and broker)", ready, 60, processes)
            say("gunicorn: /readyz 200")
            wait_for("the worker's 'ready'", lambda: " ready." in worker.text(), 60, processes)
            say("celery worker: ready")
            wait_for("beat sending a periodic task", lambda: "Sending due task" in beat.text(), 60, processes)
            say("celery beat: sends periodic tasks")

            status, _, body = client.request("GET", "/")
            if status != 200:
                raise SmokeFailed(f"GET / with DEBUG=false: {status}")
            css = body.decode().split('href="/static/web/site.', 1)
            if len(css) < 2:
                raise SmokeFailed("the home page links no hashed site.css")
            css_path = "/static/web/site." + css[1].split('"', 1)[0]
            if client.request("GET", css_path)[0] != 200:
                raise SmokeFailed(f"{css_path} is not served")
            say(f"site: / 200, {css_path} served by whitenoise")

            status, _, body = client.request("GET", "/accounts/login/")
            status, _, _ = client.request("POST", "/accounts/login/", data={
                "csrfmiddlewaretoken": csrf_token_of(body.decode()), "username": "smoke", "password": PASSWORD})
            if status != 302:
                raise SmokeFailed(f"site sign-in: expected a redirect, got {status}")
            walk_one_booking(client, sink, token)
        except SmokeFailed as exc:
            say(f"FAILED: {exc}")
            for proc in processes:
                say(f"--- {proc.name} log tail ---\n{proc.tail()}")
            for proc in processes:
                try:
                    proc.stop(timeout=15)
                except SmokeFailed:
                    pass
            return 1
        failed = False
        for proc in processes:
            try:
                code = proc.stop()
            except SmokeFailed as exc:
                say(f"FAILED: {exc}")
                failed = True
                continue
            say(f"{proc.name}: stopped by SIGTERM, exit status {code}")
            failed = failed or code != 0
    drop_database(admin_url, db_name)
    if failed:
        say("FAILED: a process did not stop cleanly")
        return 1
    say("OK: every process started, one booking was held, paid and confirmed by email, every process stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
