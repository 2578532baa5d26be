"""Announcement fan-out: `python bench/fanout.py [N ...]` (default: 10000 100000).

Needs PostgreSQL (DATABASE_URL: a fresh <name>_mailbench database is made beside it) and Redis
(CELERY_BROKER_URL). For each N: N opted-in users (bulk_create), a fresh Celery worker process
(solo pool, the `default` queue where announcement tasks run), then a movie's first showtime
is saved, which enqueues `notifications.announce_movie` after commit. Prints the seconds until
the plan started (the announcement counted its batches) and until every outbox row exists and
every send batch is enqueued, the number of `notifications.send_email_batch` tasks waiting on
the `email` queue (N / ANNOUNCEMENT_BATCH_SIZE expected; the "all rows" time includes their
enqueue), and
the worker's peak memory (VmHWM), which should stay flat as N grows. The email queue is left
unconsumed and purged after each N.

The baseline, in the same run before each N: this process alone, without Celery, renders the
same N `new_movie` rows (the announcement's own templates) and bulk-inserts them in chunks; the
goal is the fan-out within 1.5x of it."""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

from _mail_bench import ROOT, bench_database, setup_django

USERS_CHUNK = 5000


def reset():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, cinema_movie, cinema_auditorium, notifications_emailmessage, "
            "notifications_announcement RESTART IDENTITY CASCADE"
        )
    purge_queues()


def purge_queues():
    from config.celery import app

    with app.connection_for_write() as conn:
        for queue in ("default", "email"):
            conn.default_channel.queue_purge(queue)


def email_queue_length():
    from config.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen("email")


def create_users(n):
    from django.utils import timezone

    from accounts.models import User

    verified = timezone.now()  # announcements go to verified addresses only
    for start in range(0, n, USERS_CHUNK):
        User.objects.bulk_create(
            User(username=f"fan{i}", email=f"fan{i}@example.com", marketing_opt_in=True, password="!",
                 language="vi" if i % 5 == 0 else "en", first_name=f"Fan {i}", email_verified_at=verified)
            for i in range(start, min(n, start + USERS_CHUNK))
        )


def start_worker():
    log = tempfile.NamedTemporaryFile(prefix="fanout-worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default", "--pool=solo",
         "--loglevel=INFO", "-n", f"fanout-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the worker exited: see {log.name}")
        with open(log.name) as f:
            if " ready." in f.read():
                return process, log.name
        time.sleep(0.2)
    sys.exit(f"the worker did not start: see {log.name}")


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


BASELINE_CHUNK = 1000


def baseline(n):
    """Seconds to render and bulk-insert the N outbox rows of an announcement in one process."""
    from django.db import connection, transaction

    from cinema.models import Movie
    from notifications.announcements import _NewMovieTemplates, eligible_users
    from notifications.models import EmailMessage

    movie = Movie.objects.create(title=f"Baseline {n}", slug=f"baseline-{n}", runtime_minutes=100)
    t0 = time.monotonic()
    templates = _NewMovieTemplates(movie)
    users = eligible_users().order_by("id").only("id", "email", "first_name", "language")
    chunk = []
    with transaction.atomic():
        for user in users.iterator(chunk_size=BASELINE_CHUNK):
            chunk.append(templates.message(user))
            if len(chunk) == BASELINE_CHUNK:
                EmailMessage.objects.bulk_create(chunk)
                chunk = []
        EmailMessage.objects.bulk_create(chunk)
    seconds = time.monotonic() - t0
    rows = EmailMessage.objects.filter(kind="new_movie").count()
    assert rows == n, f"baseline made {rows} rows, not {n}"
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE notifications_emailmessage CASCADE")
    movie.delete()
    return seconds


def run(n, timeout):
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from cinema.models import Movie, Showtime
    from cinema.services import create_auditorium
    from notifications.models import Announcement, EmailMessage

    reset()
    started = time.monotonic()
    create_users(n)
    users_seconds = time.monotonic() - started
    baseline_seconds = baseline(n)
    worker, log = start_worker()
    idle_kib = memory_kib(worker.pid, "VmRSS")
    try:
        auditorium = create_auditorium(name="Fan-out hall", rows=2, seats_per_row=5)
        movie = Movie.objects.create(title=f"Fan-out {n}", slug=f"fan-out-{n}", runtime_minutes=100)
        starts_at = timezone.now() + timedelta(days=3)
        t0 = time.monotonic()
        with transaction.atomic():
            Showtime.objects.create(movie=movie, auditorium=auditorium, starts_at=starts_at,
                                    ends_at=starts_at + timedelta(minutes=115), price=Decimal("9.50"), currency="usd")
        planned = done = None
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            announcement = Announcement.objects.filter(movie=movie).first()
            if planned is None and announcement and announcement.total_batches:
                planned = time.monotonic() - t0
            if announcement and announcement.status == Announcement.Status.DONE:
                done = time.monotonic() - t0
                break
            time.sleep(0.2)
        rows = EmailMessage.objects.filter(kind="new_movie").count()
        expected_tasks = -(-rows // settings.ANNOUNCEMENT_BATCH_SIZE)
        while done is not None and email_queue_length() < expected_tasks and time.monotonic() < deadline:
            time.sleep(0.05)  # the last batch publishes its sends just after its commit
        if done is not None:
            done = time.monotonic() - t0
        queued = email_queue_length()
        peak_kib = memory_kib(worker.pid, "VmHWM")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        purge_queues()
    announcement = Announcement.objects.get(movie=movie)
    if done is None:
        print(f"N={n}: not done within {timeout}s ({announcement.batches_done}/{announcement.total_batches} "
              f"batches, {rows} rows); worker log {log}")
    return {
        "n": n, "users_s": users_seconds, "baseline_s": baseline_seconds, "planned_s": planned, "done_s": done, "rows": rows, "queued": queued,
        "batches": f"{announcement.batches_done}/{announcement.total_batches}", "idle_mib": idle_kib / 1024,
        "peak_mib": peak_kib / 1024,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per N")
    args = parser.parse_args()
    database = bench_database(require_postgres=True)
    setup_django()
    from django.conf import settings

    print(f"database {database.split('@')[-1]}, broker {settings.CELERY_BROKER_URL}, "
          f"batch size {settings.ANNOUNCEMENT_BATCH_SIZE}")
    results = [run(n, args.timeout) for n in args.n]
    print(f"{'N':>8} {'users':>8} {'plan s':>8} {'all rows s':>11} {'rows/s':>8} {'rows':>8} "
          f"{'tasks':>7} {'batches':>12} {'baseline s':>10} {'ratio':>6} {'worker idle MiB':>16} {'worker peak MiB':>16}")
    for r in results:
        rate = r["rows"] / r["done_s"] if r["done_s"] else 0
        print(f"{r['n']:>8} {r['users_s']:>7.1f}s {r['planned_s'] or float('nan'):>8.2f} "
              f"{r['done_s'] or float('nan'):>11.1f} {rate:>8.0f} {r['rows']:>8} {r['queued']:>7} "
              f"{r['batches']:>12} {r['baseline_s']:>10.1f} {(r['done_s'] or float('nan')) / r['baseline_s']:>6.2f} {r['idle_mib']:>16.1f} {r['peak_mib']:>16.1f}")


if __name__ == "__main__":
    main()
