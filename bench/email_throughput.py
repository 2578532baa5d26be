"""Delivery throughput: `python bench/email_throughput.py [N] [--path batch|single] [--pool prefork|threads] [--concurrency C]`
(default N=2000; the worker as production runs it: `celery -A config worker`, prefork, one
process per core).

Sends N outbox messages through the production send path: the ids are published to Redis
(CELERY_BROKER_URL, one producer, as a fan-out does) and a real `celery -A config worker`
subprocess runs `notifications.send_email_batch` (EMAIL_SEND_BATCH_SIZE ids per task, as
announcements, campaigns and sweeps enqueue them; `--path single`: one `notifications.send_email`
per row, as booking emails go), each row claimed with UPDATE … RETURNING, its MIME message built,
sent over the process's cached SMTP connection, recorded sent; the clock stops when the
LAST row of the round is `sent` in the database. Beside it, in alternating rounds of the same
run: raw smtplib resending one prebuilt message N times over one reused connection, and, in
this process without a broker (one connection, no concurrency), the task body by
send_email.apply() and delivery.deliver() alone.
The SMTP sink (aiosmtpd) runs in its own process. Prints the rates and the ratio (goal >= 0.5).

`--campaign-rate 1200/m [--campaign-rows 1800]`: instead, the rate limit. That many `campaign`
rows are published at once in batches to a real worker whose CAMPAIGN_RATE_LIMIT is the given
rate, this process plays beat (the per-minute sweep); prints the most sends seen in any 60 s
window against the limit, and the average rate.

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
    parser.add_argument("--path", default="batch", choices=["batch", "single"])
    parser.add_argument("--pool", default="prefork", choices=["prefork", "threads"])
    parser.add_argument("--concurrency", type=int, default=0, help="default: Celery's (cores; threads: cores too)")
    parser.add_argument("--reuse-db-connections", action="store_true",
                        help="a proposal: keep database connections between tasks (see REUSING_WORKER)")
    parser.add_argument("--campaign-rate", default="", help="measure the campaign rate limit instead, e.g. 1200/m")
    parser.add_argument("--campaign-rows", type=int, default=1800)
    args = parser.parse_args()
    if args.campaign_rate:
        return measure_rate_limit(args)
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
    from notifications.outbox import in_batches
    from notifications.tasks import send_email, send_email_batch

    def publish(chunk):
        if args.path == "single":
            return send_tasks_safely(send_email, [(i,) for i in chunk]) == len(chunk)
        batches = in_batches(chunk)
        return send_tasks_safely(send_email_batch, [(b,) for b in batches]) == len(batches)

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
        publish(warm_ids)
        wait_sent(warm_ids, timeout=120)

        raw = smtplib.SMTP("127.0.0.1", port)
        raw.ehlo()
        ours_seconds = plain_seconds = eager_seconds = raw_seconds = 0.0
        per_round = n // ROUNDS
        for r in range(ROUNDS):
            end = (r + 1) * per_round if r < ROUNDS - 1 else n
            chunk, plain_chunk, eager_chunk = ids[r * per_round:end], plain_ids[r * per_round:end], eager_ids[r * per_round:end]
            start = time.perf_counter()
            assert publish(chunk)
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
    worker_desc = f"{args.pool}, concurrency {args.concurrency or os.cpu_count()}, "
    worker_desc += f"send_email_batch of {settings.EMAIL_SEND_BATCH_SIZE}" if args.path == "batch" else "send_email per row"
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


def measure_rate_limit(args):
    """Sends per minute of a campaign against CAMPAIGN_RATE_LIMIT, through a real worker."""
    from datetime import timedelta

    sink = SMTPSink()
    bench_database(require_postgres=False)
    setup_django(EMAIL_URL=f"smtp://127.0.0.1:{sink.port}", EMAIL_FALLBACK_URL="", CAMPAIGN_RATE_LIMIT=args.campaign_rate)
    from celery.utils.time import rate

    from config.celery import app
    from core.tasks import send_tasks_safely
    from notifications.models import EmailMessage
    from notifications.outbox import in_batches
    from notifications.tasks import requeue_stale_emails, send_email_batch

    EmailMessage.objects.bulk_create(
        EmailMessage(kind="campaign", to=f"fan{i}@example.com", subject="Festival", body_text=TEXT, body_html=HTML,
                     idempotency_key=f"bench-campaign:{i}")
        for i in range(args.campaign_rows)
    )
    ids = list(EmailMessage.objects.order_by("id").values_list("id", flat=True))
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("email")
    worker = start_worker(args.pool, args.concurrency)
    try:
        time.sleep(5)  # the worker's start
        send_tasks_safely(send_email_batch, [(b,) for b in in_batches(ids)])  # every batch at once
        started = time.monotonic()
        next_sweep = started
        while EmailMessage.objects.filter(status="sent").count() < len(ids):
            if time.monotonic() >= next_sweep:  # what beat does every minute
                requeue_stale_emails()
                next_sweep += 60
            if time.monotonic() - started > 10 * 60 + len(ids) / rate(args.campaign_rate):
                raise RuntimeError("not every campaign message was sent in time")
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        sink.stop()
    sent_at = sorted(EmailMessage.objects.values_list("sent_at", flat=True))
    minute = timedelta(seconds=60)
    j, most = 0, 0
    for i, start in enumerate(sent_at):  # the most sends in any window [t, t + 60 s)
        while j < len(sent_at) and sent_at[j] < start + minute:
            j += 1
        most = max(most, j - i)
    span = (sent_at[-1] - sent_at[0]).total_seconds()
    limit = rate(args.campaign_rate) * 60
    print(f"campaign rate limit {args.campaign_rate} ({limit:.0f}/min), {len(ids)} rows in batches of "
          f"{len(in_batches(ids)[0])}, all enqueued at once, worker {args.pool} concurrency {args.concurrency or os.cpu_count()}")
    print(f"most sends in any 60 s window: {most} (limit {limit:.0f}); first to last send {span:.1f} s, "
          f"average {60 * (len(ids) - 1) / span:.0f}/min")


if __name__ == "__main__":
    main()
