"""The waitlist of a sold-out premiere: `python bench/waitlist.py [--entries 1000] [--freed 300] [--extra-runs 3]`.

One showtime in a hall of 600 seats, sold out: `--freed` seats are held by pending bookings past
their hold (scattered over the hall), the others sold; `--entries` users joined its waitlist in
order, each for 1 to 4 seats (seeded). A real `celery -A config worker` (prefork, one process per
core) on a throwaway Redis gets the expiry sweep `bookings.expire_unpaid_bookings` (as beat sends
it), which frees every lapsed hold at once and enqueues `bookings.offer_waitlist_seats` after
commit; `--extra-runs` more offer tasks are sent at the same instant, as if other sweeps or
workers ran it too. Timed: from sending the sweep until every entry that fits has its offer
("fits": walking the entries in joining order against the freed seats, the rule). Checked: the
offers are exactly those entries, no seat is in two offers (nor in two active rows), no entry
has two bookings. Uses a fresh database (see _ops_bench.py); the machine may be shared."""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

from _ops_bench import ROOT, fresh_database, setup_django, throwaway_redis

HALL = (20, 30)  # 600 seats
POLL_SECONDS = 0.02


def build(entries, freed, seed=7):
    """The sold-out showtime, its lapsed holds and its waitlist. Returns (showtime, quantities)."""
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking, BookingSeat, WaitlistEntry
    from cinema.models import Showtime
    from cinema.services import create_auditorium, create_movie

    now = timezone.now()
    rnd = random.Random(seed)
    hall = create_auditorium(name="Premiere hall", rows=HALL[0], seats_per_row=HALL[1])
    seats = list(hall.seats.order_by("id"))
    movie = create_movie(title="The Premiere", runtime_minutes=120)
    showtime = Showtime.objects.create(
        movie=movie, auditorium=hall, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, minutes=135),
        price=Decimal("12.00"), currency="usd",
    )
    User.objects.bulk_create(User(username=f"fan{i}", email=f"fan{i}@example.com") for i in range(entries + len(seats)))
    users = list(User.objects.filter(username__startswith="fan").order_by("pk").values_list("pk", flat=True))
    lapsed = set(rnd.sample(range(len(seats)), freed))
    bookings, booking_seats = [], []
    for i, seat in enumerate(seats):
        is_lapsed = i in lapsed
        expires = now - timedelta(seconds=rnd.randint(1, 300)) if is_lapsed else None
        booking = Booking(
            user_id=users[entries + i], showtime=showtime, expires_at=expires or now - timedelta(hours=1),
            status=Booking.Status.PENDING if is_lapsed else Booking.Status.PAID, total=Decimal("12.00"), currency="usd",
        )
        bookings.append(booking)
        booking_seats.append(BookingSeat(booking=booking, showtime=showtime, seat=seat, price=Decimal("12.00"), expires_at=expires))
    Booking.objects.bulk_create(bookings, batch_size=1000)
    BookingSeat.objects.bulk_create(booking_seats, batch_size=1000)
    quantities = [rnd.randint(1, 4) for _ in range(entries)]
    WaitlistEntry.objects.bulk_create(
        WaitlistEntry(showtime=showtime, user_id=users[i], quantity=q) for i, q in enumerate(quantities)
    )
    return showtime, quantities


def fitting(quantities, freed):
    """How many entries the rule offers seats to: in joining order, each whose quantity fits what is left."""
    left, count = freed, 0
    for quantity in quantities:
        if quantity <= left:
            left -= quantity
            count += 1
    return count, freed - left


def start_worker():
    options = ["-l", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat", "--pool", "prefork"]
    log = open(os.path.join(tempfile.gettempdir(), "waitlist_bench_worker.log"), "w")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", *options],
                            cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout} s")
        time.sleep(POLL_SECONDS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--freed", type=int, default=300)
    parser.add_argument("--extra-runs", type=int, default=3)
    args = parser.parse_args()
    database = fresh_database("waitlistbench")
    broker_url, broker = throwaway_redis()
    if not broker_url.startswith("redis://"):
        sys.exit("This benchmark needs redis-server (a real worker on a real broker).")
    setup_django(CELERY_BROKER_URL=broker_url, WAITLIST_OFFER_SECONDS=900, EMAIL_URL="dummymail://")

    from django.db.models import Count

    from bookings.models import Booking, BookingSeat, WaitlistEntry
    from config.celery import app
    from notifications.models import EmailMessage

    showtime, quantities = build(args.entries, args.freed)
    expected, seats_expected = fitting(quantities, args.freed)
    offered = WaitlistEntry.objects.filter(showtime=showtime, status=WaitlistEntry.Status.OFFERED)

    worker = start_worker()
    try:
        # Not timed: the worker's start (a ping answered by its processes).
        wait_until(lambda: bool(app.control.ping(timeout=0.5)), 60, "the worker answering")
        started = time.perf_counter()
        app.send_task("bookings.expire_unpaid_bookings")
        for _ in range(args.extra_runs):
            app.send_task("bookings.offer_waitlist_seats", args=[showtime.pk])
        wait_until(lambda: offered.count() >= expected, 300, "every fitting entry offered")
        seconds = time.perf_counter() - started
        # Let any task still running finish, then check that nothing more was offered.
        wait_until(lambda: not any((app.control.inspect(timeout=0.5).active() or {}).values()), 60, "the worker idle")
    finally:
        worker.terminate()
        worker.wait(30)

    offers = offered.count()
    offer_bookings = Booking.objects.filter(waitlist_entry__isnull=False)
    offered_rows = BookingSeat.objects.filter(booking__in=offer_bookings, active=True)
    seats_offered = offered_rows.count()
    seats_in_two = offered_rows.values("seat").annotate(n=Count("pk")).filter(n__gt=1).count()
    active_twice = (
        BookingSeat.objects.filter(showtime=showtime, active=True).values("seat").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    pending_of_waitlisters = Booking.objects.filter(
        showtime=showtime, status=Booking.Status.PENDING, user__waitlist_entries__showtime=showtime
    ).count()
    emails = EmailMessage.objects.filter(kind="waitlist_offer").count()

    print(f"waitlist of one sold-out showtime: {args.entries:,} entries (1-4 seats each), {args.freed} seats "
          f"freed by one expiry sweep, {1 + args.extra_runs} offer runs at once; {database}; broker: {broker}; "
          f"worker: prefork, {os.cpu_count()} processes")
    print(f"entries that fit (the rule): {expected} for {seats_expected} seats; offered: {offers} "
          f"({seats_offered} seats, {emails} waitlist_offer emails queued)")
    print(f"seats in two offers: {seats_in_two}; seats in two active rows: {active_twice}; "
          f"entries with two bookings: {pending_of_waitlisters - offers}")
    print(f"time from the sweep until every fitting entry had its offer: {seconds:.2f} s "
          f"({seconds / max(offers, 1) * 1000:.1f} ms per offer)")
    ok = offers == expected and seats_offered == seats_expected and seats_in_two == active_twice == 0
    ok = ok and pending_of_waitlisters == offers and emails == offers
    print("checks: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
