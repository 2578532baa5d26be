"""Delivery throughput: `python bench/email_throughput.py [N] [--pool prefork|threads] [--concurrency C]`
(default N=2000; the worker as production runs it: `celery -A config worker`, prefork, one
process per core).

Sends N outbox messages through the production send path: the ids are published to Redis
(CELERY_BROKER_URL, one producer, as a fan-out does) and a real `celery -A config worker`
subprocess runs `notifications.send_email` (claim with UPDATE … RETURNING, build the MIME
message, SMTP over the process's cached connection, UPDATE to sent); the clock stops when the
LAST row of the round is `sent` in the database. Beside it, in alternating rounds of the same
run: raw smtplib resending one prebuilt message N times over one reused connection, and, in
this process without a broker (one connection, no concurrency), the task body by
send_email.apply() and delivery.deliver() alone.
The SMTP sink (aiosmtpd) runs in its own process. Prints the rates and the ratio (goal >= 0.5).

Uses PostgreSQL from DATABASE_URL (a fresh <name>_mailbench database) when set, else a
temporary SQLite file (then use --concurrency 1: SQLite allows one writer)."""

import argparse
import os
import smtplib
import subprocess
import sys
import tempfile
import time

from _mail_bench import ROOT, SMTPSink, bench_database, setup_django

TEXT = "Hello Ada,\n\nYour booking K7Q-4XM2 for The Long Night is confirmed.\n" * 12
HTML = "<p>Hello Ada,</p><p>Your booking <strong>K7Q-4XM2</strong> for The Long Night is confirmed.</p>" * 12
ROUNDS = 4
POLL_SECONDS = 0.01


# --reuse-db-connections (a proposal, not today's configuration): Celery's Django fix-up closes
# every database connection before and after each task, whatever CONN_MAX_AGE says, so each
# send opens new PostgreSQL connections. This worker turns that off (CELERY_DB_REUSE_MAX) and
# closes connections the way Django does after a request instead: close_old_connections(),
# which honours CONN_MAX_AGE and CONN_HEALTH_CHECKS.
REUSING_WORKER = """
import sys
import django
from celery.signals import task_postrun, task_prerun
django.setup()
from django.db import close_old_connections
from config.celery import app
app.conf["CELERY_DB_REUSE_MAX"] = 10**9
task_prerun.connect(lambda **kw: close_old_connections(), weak=False)
task_postrun.connect(lambda **kw: close_old_connections(), weak=False)
app.worker_main(["worker", *sys.argv[1:]])
"""


def start_worker(pool, concurrency, reuse_db_connections=False):
    options = ["-Q", "email", "-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "--pool", pool]
    if concurrency:
        options += ["--concurrency", str(concurrency)]
    env = dict(os.environ)
    if reuse_db_connections:
        env["CONN_MAX_AGE"] = "60"
        command = [sys.executable, "-c", REUSING_WORKER, *options]
    else:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", *options]
    # The worker logs two INFO lines per task (config/celery.py sets INFO), as in production: to a file.
    log = open(os.path.join(tempfile.gettempdir(), "email_throughput_worker.log"), "w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_sent(ids, timeout=300):
    """Seconds are measured by the caller; this returns once every row of `ids` is sent."""
    from notifications.models import EmailMessage

    low, high = min(ids), max(ids)
    deadline = time.monotonic() + timeout
    while EmailMessage.objects.filter(pk__gte=low, pk__lte=high, status="sent").count() < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not send every message in time")
        time.sleep(POLL_SECONDS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=2000)
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads"])
    parser.add_argument("--concurrency", type=int, default=0, help="default: Celery's (cores; threads: cores too)")
    parser.add_argument("--reuse-db-connections", action="store_true",
                        help="a proposal: keep database connections between tasks (see REUSING_WORKER)")
    args = parser.parse_args()
    n = args.n
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        sys.exit("Set CELERY_BROKER_URL=redis://… (a database number of your own: its email queue is purged).")
    sink = SMTPSink()
    port = sink.port
    database = bench_database(require_postgres=False)
    setup_django(EMAIL_URL=f"smtp://127.0.0.1:{port}", EMAIL_FALLBACK_URL="", EMAIL_RATE_LIMIT="")

    from django.conf import settings

    from config.celery import app
    from core.tasks import send_tasks_safely
    from notifications.delivery import build_email, close_connections, deliver
    from notifications.models import EmailMessage
    from notifications.tasks import send_email

    warmup = 50
    EmailMessage.objects.bulk_create(
        EmailMessage(kind="booking_confirmation", to=f"user{i}@example.com", subject=f"Your tickets {i}",
                     body_text=TEXT, body_html=HTML, idempotency_key=f"bench:{i}")
        for i in range(3 * n + warmup)
    )
    all_ids = list(EmailMessage.objects.order_by("id").values_list("id", flat=True))
    ids, plain_ids, eager_ids, warm_ids = all_ids[:n], all_ids[n:2 * n], all_ids[2 * n:3 * n], all_ids[3 * n:]
    raw_bytes = build_email(EmailMessage.objects.get(pk=ids[0])).message().as_bytes(linesep="\r\n")

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("email")
    worker = start_worker(args.pool, args.concurrency, args.reuse_db_connections)
    try:
        # Not timed: the worker's start, its processes' first database and SMTP connections.
        send_tasks_safely(send_email, [(i,) for i in warm_ids])
        wait_sent(warm_ids, timeout=120)

        raw = smtplib.SMTP("127.0.0.1", port)
        raw.ehlo()
        ours_seconds = plain_seconds = eager_seconds = raw_seconds = 0.0
        per_round = n // ROUNDS
        for r in range(ROUNDS):
            end = (r + 1) * per_round if r < ROUNDS - 1 else n
            chunk, plain_chunk, eager_chunk = ids[r * per_round:end], plain_ids[r * per_round:end], eager_ids[r * per_round:end]
            start = time.perf_counter()
            assert send_tasks_safely(send_email, [(i,) for i in chunk]) == len(chunk)
            wait_sent(chunk)
            ours_seconds += time.perf_counter() - start
            start = time.perf_counter()
            for message_id in plain_chunk:
                deliver(message_id)
            plain_seconds += time.perf_counter() - start
            start = time.perf_counter()
            for message_id in eager_chunk:
                send_email.apply(args=(message_id,))
            eager_seconds += time.perf_counter() - start
            start = time.perf_counter()
            for i in range(len(chunk)):
                refused = raw.sendmail(settings.DEFAULT_FROM_EMAIL, [f"user{i}@example.com"], raw_bytes)
                assert not refused
            raw_seconds += time.perf_counter() - start
        raw.quit()
        close_connections()
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    sent = EmailMessage.objects.filter(status="sent").count()
    assert sent == 3 * n + warmup, f"only {sent} of {3 * n + warmup} rows are sent"
    once = EmailMessage.objects.filter(status="sent", attempts=1).count()
    assert once == sent, f"{sent - once} rows took more than one attempt"
    sink.stop()

    ours, plain, eager, raw_rate = n / ours_seconds, n / plain_seconds, n / eager_seconds, n / raw_seconds
    worker_desc = f"{args.pool}, concurrency {args.concurrency or os.cpu_count()}"
    if args.reuse_db_connections:
        worker_desc += ", PROPOSAL: db connections reused"
    print(f"database: {database.split('@')[-1]}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"messages: {n} through each path, {len(raw_bytes)} bytes each, {ROUNDS} alternating rounds")
    print(f"send path (celery worker, {worker_desc}): {ours:8.1f} msg/s  ({ours_seconds:.2f} s, enqueue to last sent)")
    print(f"send_email.apply() in one process:       {eager:8.1f} msg/s  ({eager_seconds:.2f} s, the task body, no broker)")
    print(f"delivery.deliver() in one process:       {plain:8.1f} msg/s  ({plain_seconds:.2f} s)")
    print(f"raw smtplib, one connection:             {raw_rate:8.1f} msg/s  ({raw_seconds:.2f} s)")
    print(f"ratio send path / raw: {ours / raw_rate:.2f}  (goal >= 0.5); in one process: apply() / raw "
          f"{eager / raw_rate:.2f}, deliver() / raw {plain / raw_rate:.2f}")


if __name__ == "__main__":
    main()
