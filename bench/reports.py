"""Sales report over many bookings: `python bench/reports.py [N ...] [--formats csv xlsx]`
(default N: 10000 100000). Goal: worker peak memory flat as N grows (the build streams).

Needs PostgreSQL (DATABASE_URL: a fresh <name>_reportbench database is made beside it; or a
throwaway cluster) and starts a throwaway Redis when redis-server is installed. For each N: N
paid bookings of one seat and one ticket each (bulk_create), plus N/10 paid-then-cancelled with a
half refund and N/10 expired, 22 seats taken of 200 per showtime (so 5,000 showtimes for
100,000: ten pages of the report), spread across a year; then for each
format a fresh `celery -A config worker` process (solo pool) builds `reports.build_report` for
the whole year. Prints the build time (request to ready, and the worker's own started->finished),
the file size, the worker's memory idle (VmRSS) and at its peak (VmHWM), and checks the file's
totals against the bookings to the unit."""

import argparse
import csv
import io
import os
import signal
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from _ops_bench import fresh_database, setup_django, throwaway_redis
from fanout import memory_kib, start_worker

TAKEN_PER_SHOWTIME = 22  # of a 10 x 20 hall: 20 paid, 2 paid then cancelled (and 2 expired holds)
BATCH = 5000
YEAR = date(2026, 1, 1)


def reset():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_user, cinema_movie, cinema_auditorium, reports_report RESTART IDENTITY CASCADE")


def build_data(n):
    """N paid bookings (+10% cancelled with a half refund, +10% expired) over N*1.1/22 showtimes."""
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking, BookingSeat, Ticket
    from cinema.models import Showtime
    from cinema.services import create_auditorium, create_movie

    reset()
    hall = create_auditorium(name="Bench hall", rows=10, seats_per_row=20)
    seats = list(hall.seats.order_by("id").values_list("pk", flat=True))
    movies = [create_movie(title=f"Bench movie {i}", runtime_minutes=100) for i in range(8)]
    user = User.objects.create(username="bench", email="bench@example.com")
    taking = n + n // 10  # paid and cancelled take a seat each; expired ones released theirs
    n_showtimes = -(-taking // TAKEN_PER_SHOWTIME)
    step = timedelta(minutes=max(1, (365 * 24 * 60) // n_showtimes))
    start = timezone.make_aware(datetime.combine(YEAR, datetime.min.time()))
    Showtime.objects.bulk_create(
        Showtime(movie=movies[i % len(movies)], auditorium=hall, starts_at=start + i * step,
                 ends_at=start + i * step + timedelta(minutes=115), price=Decimal("9.50"), currency="usd")
        for i in range(n_showtimes)
    )
    showtimes = list(Showtime.objects.order_by("starts_at").values_list("pk", flat=True))
    now = timezone.now()
    kinds = ["paid"] * n + ["cancelled"] * (n // 10) + ["expired"] * (n // 10)
    for first in range(0, len(kinds), BATCH):
        bookings, booking_seats, tickets = [], [], []
        for i in range(first, min(len(kinds), first + BATCH)):
            kind = kinds[i]
            slot = i if kind != "expired" else i - taking  # expired ones reuse seats, inactive
            showtime, seat = showtimes[slot // TAKEN_PER_SHOWTIME], seats[slot % TAKEN_PER_SHOWTIME]
            booking = Booking(
                reference=f"B-{i:09d}",  # random 7-letter references collide in ~1 run of 4 at 120k
                user=user, showtime_id=showtime, expires_at=now, total=Decimal("9.50"), currency="usd",
                status={"paid": "paid", "cancelled": "cancelled", "expired": "expired"}[kind],
                paid_at=now if kind != "expired" else None, cancelled_at=now if kind == "cancelled" else None,
                refund_amount=Decimal("4.75") if kind == "cancelled" else None,
                refund_status="succeeded" if kind == "cancelled" else "none",
            )
            bookings.append(booking)
            booking_seats.append(BookingSeat(booking=booking, showtime_id=showtime, seat_id=seat,
                                             price=Decimal("9.50"), active=kind == "paid"))
            if kind != "expired":
                tickets.append(Ticket(booking=booking, seat_id=seat))
        Booking.objects.bulk_create(bookings)
        BookingSeat.objects.bulk_create(booking_seats)
        Ticket.objects.bulk_create(tickets)
    return n_showtimes


def check_totals(report):
    """The CSV's gross and refunded columns summed against the bookings, to the unit."""
    from django.core.files.storage import default_storage
    from django.db.models import Sum

    from bookings.models import Booking

    expected_gross = Booking.objects.filter(paid_at__isnull=False).aggregate(s=Sum("total"))["s"]
    expected_refunded = Booking.objects.filter(refund_status="succeeded").aggregate(s=Sum("refund_amount"))["s"]
    gross = refunded = Decimal(0)
    rows = 0
    with default_storage.open(report.file.name, "rb") as f:
        for row in csv.DictReader(io.TextIOWrapper(f, encoding="utf-8")):
            gross += Decimal(row["gross"])
            refunded += Decimal(row["refunded"])
            rows += 1
    ok = gross == expected_gross and refunded == expected_refunded
    return ok, rows, f"gross {gross} / {expected_gross}, refunded {refunded} / {expected_refunded}"


def run(n, fmt, timeout):
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from reports import services
    from reports.models import Report

    worker, log = start_worker()
    idle_kib = memory_kib(worker.pid, "VmRSS")
    try:
        t0 = time.monotonic()
        with transaction.atomic():
            report = services.request_report(user=get_user_model().objects.get(username="bench"),
                                             date_from=YEAR, date_to=date(YEAR.year, 12, 31), format=fmt)
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            report.refresh_from_db()
            if report.status in (Report.Status.READY, Report.Status.FAILED):
                break
            time.sleep(0.1)
        wall = time.monotonic() - t0
        peak_kib = memory_kib(worker.pid, "VmHWM")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    if report.status != Report.Status.READY:
        sys.exit(f"N={n} {fmt}: {report.status} {report.error} (worker log {log})")
    check = check_totals(report) if fmt == "csv" else (True, None, "(xlsx: totals checked in csv)")
    return {
        "n": n, "format": fmt, "wall_s": wall, "build_s": (report.finished_at - report.started_at).total_seconds(),
        "size_mib": report.file.size / 2**20, "idle_mib": idle_kib / 1024, "peak_mib": peak_kib / 1024,
        "totals_ok": check[0], "totals": check[2],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per build")
    args = parser.parse_args()
    database = fresh_database("reportbench")
    if not os.environ.get("CELERY_BROKER_URL"):
        os.environ["CELERY_BROKER_URL"] = throwaway_redis()[0]
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="reports-bench-media-"))
    setup_django()
    from django.conf import settings

    print(f"{database}; broker {settings.CELERY_BROKER_URL}; media {settings.MEDIA_ROOT}")
    results = []
    for n in args.n:
        t0 = time.monotonic()
        showtimes = build_data(n)
        print(f"N={n}: {n} paid + {n // 10} cancelled + {n // 10} expired bookings over {showtimes} showtimes "
              f"made in {time.monotonic() - t0:.1f}s", flush=True)
        for fmt in args.formats:
            result = run(n, fmt, args.timeout)
            result["showtimes"] = showtimes
            results.append(result)
            print(f"  {fmt}: {result['build_s']:.2f}s, peak {result['peak_mib']:.1f} MiB; {result['totals']}", flush=True)
    print(f"{'paid bookings':>13} {'showtimes':>9} {'format':>6} {'request->ready s':>16} {'build s':>8} "
          f"{'file MiB':>8} {'worker idle MiB':>15} {'worker peak MiB':>15} {'totals':>7}")
    for r in results:
        print(f"{r['n']:>13} {r['showtimes']:>9} {r['format']:>6} {r['wall_s']:>16.2f} {r['build_s']:>8.2f} "
              f"{r['size_mib']:>8.2f} {r['idle_mib']:>15.1f} {r['peak_mib']:>15.1f} {'ok' if r['totals_ok'] else 'WRONG':>7}")
    if not all(r["totals_ok"] for r in results):
        sys.exit("totals do not match the bookings")


if __name__ == "__main__":
    main()
