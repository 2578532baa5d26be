"""Seat-map latency at 100 vs 2,000 seats: `python bench/seatmap.py [--requests N]`.

GET /api/v1/showtimes/{id}/seats/ through the whole Django stack (middleware, DRF, JSON), in
process with Django's test client, on a 10 x 10 hall and a 40 x 50 hall drawn from layouts
(two aisles, a premium back third, wheelchair spaces with companions in the front row) with
price rows by ticket type and category, each with half its
seats taken (30 % held, 10 % held but lapsed, 10 % sold), in alternating rounds so that both
sizes see the same machine load. Prints p50 / p95 / p99 / mean per size, the queries per
request, and how much slower the big map is per request and per seat. Bounded: about N x 2
requests (default N = 300). Uses a fresh database (see _ops_bench.py)."""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

from _ops_bench import fresh_database, percentile, setup_django

SIZES = {100: (10, 10), 2000: (40, 50)}
ROUNDS = 10


def layout(rows, per_row):
    """Rows of `per_row` seats with an aisle after each third, the back third premium, and a
    wheelchair space with its companion at both ends of the front row."""
    def cell(r, n):
        if r == 0 and n in (1, per_row):
            return {"number": n, "kind": "wheelchair"}
        if r == 0 and n in (2, per_row - 1):
            return {"number": n, "kind": "companion"}
        return n

    third = per_row // 3
    return {"rows": [
        {"label": f"R{r}", "category": "premium" if r >= rows * 2 // 3 else "standard",
         "seats": [c for n in range(1, per_row + 1) for c in ([cell(r, n)] + ([None] if n in (third, 2 * third) else []))]}
        for r in range(rows)
    ]}


def build_showtime(rows, per_row, users):
    """A showtime whose hall is half taken: held, held-but-lapsed and sold seats."""
    from django.utils import timezone

    from bookings.models import Booking, BookingSeat
    from cinema.models import Showtime, TicketType
    from cinema.services import create_auditorium, create_movie, set_showtime_prices

    hall = create_auditorium(name=f"Hall {rows}x{per_row}", layout=layout(rows, per_row))
    movie = create_movie(title=f"Bench {rows}x{per_row}", runtime_minutes=100)
    now = timezone.now()
    starts = now + timedelta(days=3)
    showtime = Showtime.objects.create(
        movie=movie, auditorium=hall, starts_at=starts, ends_at=starts + timedelta(minutes=115),
        price=Decimal("9.50"), currency="usd",
    )
    types = {t.code: t for t in TicketType.objects.all()}
    set_showtime_prices(showtime, [(types["adult"], "premium", Decimal("13.50")), (types["child"], "", Decimal("6.00")),
                                   (types["student"], "", Decimal("7.50"))])
    seats = list(hall.seats.order_by("id"))
    plan = [("held", now + timedelta(minutes=10))] * 30 + [("lapsed", now - timedelta(minutes=1))] * 10 + [
        ("sold", None)
    ] * 10 + [None] * 50
    for index, seat in enumerate(seats):
        kind = plan[index % 100]
        if kind is None:
            continue
        state, expires = kind
        booking = Booking.objects.create(
            user=users[index % len(users)], showtime=showtime,
            status=Booking.Status.PAID if state == "sold" else Booking.Status.PENDING,
            expires_at=expires or now, total=Decimal("9.50"), currency="usd",
        )
        BookingSeat.objects.create(booking=booking, showtime=showtime, seat=seat, price=Decimal("9.50"),
                                   expires_at=expires)
    return showtime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300, help="requests per size")
    n = parser.parse_args().requests
    database = fresh_database("seatbench")
    setup_django(CELERY_BROKER_URL="memory://")

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    users = [User.objects.create(username=f"bench{i}", email=f"bench{i}@example.com") for i in range(20)]
    showtimes = {size: build_showtime(rows, per_row, users) for size, (rows, per_row) in SIZES.items()}
    client = Client()

    def get(size):
        response = client.get(f"/api/v1/showtimes/{showtimes[size].pk}/seats/")
        assert response.status_code == 200, response.status_code
        return response

    for size in SIZES:  # check the maps, and warm up
        seats = get(size).json()["seats"]
        statuses = {s: sum(1 for seat in seats if seat["status"] == s) for s in ("available", "held", "sold")}
        assert len(seats) == size and statuses["held"] == size * 30 // 100, statuses
        for _ in range(10):
            get(size)
    queries = {}
    for size in SIZES:
        with CaptureQueriesContext(connection) as captured:
            get(size)
        queries[size] = len(captured)

    timings = {size: [] for size in SIZES}
    per_round = max(1, n // ROUNDS)
    for _ in range(ROUNDS):
        for size in SIZES:
            for _ in range(per_round):
                started = time.perf_counter()
                get(size)
                timings[size].append((time.perf_counter() - started) * 1000)

    print(f"seat map latency, GET /api/v1/showtimes/{{id}}/seats/ in process; {database}; "
          f"{per_round * ROUNDS} requests per size, half of the seats taken")
    print(f"{'seats':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'queries':>8}")
    for size, values in timings.items():
        print(f"{size:>6} {percentile(values, 50):8.2f} {percentile(values, 95):8.2f} "
              f"{percentile(values, 99):8.2f} {statistics.mean(values):8.2f} {queries[size]:>8}")
    small, big = (percentile(timings[size], 50) for size in SIZES)
    print(f"2,000 vs 100 seats: {big / small:.1f}x the time for 20x the seats "
          f"({big / 2000 * 1000:.1f} us per seat at 2,000, {small / 100 * 1000:.1f} us per seat at 100)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
