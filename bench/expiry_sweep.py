"""The expiry sweep of 10,000 lapsed holds: `python bench/expiry_sweep.py [--lapsed N]` (goal <= 10 s).

Builds N pending bookings past their hold (one seat each, half of them with a Stripe Checkout
Session, so the sweep also enqueues N/2 `bookings.expire_stripe_session` tasks to a real Redis
when redis-server is installed), beside 1,000 live holds and 1,000 sold seats that must stay as
they are, then times one run of the per-minute sweeper, `bookings.holds.expiry.expire_unpaid_bookings`,
and checks the result: every lapsed hold expired and its seat released, nothing else touched.
Uses a fresh database (see _ops_bench.py)."""

import argparse
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal

from _ops_bench import fresh_database, setup_django, throwaway_redis

GOAL_SECONDS = 10.0
LIVE_HOLDS = SOLD = 1000
HALL = (40, 50)  # 2,000 seats


def build(lapsed):
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking, BookingSeat
    from cinema.models import Showtime
    from cinema.services import create_auditorium, create_movie

    now = timezone.now()
    hall = create_auditorium(name="Sweep hall", rows=HALL[0], seats_per_row=HALL[1])
    seats = list(hall.seats.order_by("id"))
    movie = create_movie(title="Sweep", runtime_minutes=100)
    total = lapsed + LIVE_HOLDS + SOLD
    showtimes = [
        Showtime.objects.create(
            movie=movie, auditorium=hall, starts_at=now + timedelta(days=2, hours=3 * i),
            ends_at=now + timedelta(days=2, hours=3 * i, minutes=115), price=Decimal("9.50"), currency="usd",
        )
        for i in range(-(-total // len(seats)))
    ]
    User.objects.bulk_create(User(username=f"sweep{i}", email=f"sweep{i}@example.com") for i in range(1000))
    users = list(User.objects.filter(username__startswith="sweep").values_list("pk", flat=True))
    rnd = random.Random(7)
    slots = [(showtime, seat) for showtime in showtimes for seat in seats][:total]
    kinds = ["lapsed"] * lapsed + ["live"] * LIVE_HOLDS + ["sold"] * SOLD
    bookings, booking_seats = [], []
    for i, ((showtime, seat), kind) in enumerate(zip(slots, kinds)):
        expires = {
            "lapsed": now - timedelta(seconds=rnd.randint(1, 3600)),
            "live": now + timedelta(seconds=rnd.randint(60, 600)),
            "sold": None,
        }[kind]
        booking = Booking(
            user_id=users[i % len(users)], showtime=showtime, expires_at=expires or now - timedelta(hours=1),
            status=Booking.Status.PAID if kind == "sold" else Booking.Status.PENDING,
            total=Decimal("9.50"), currency="usd",
            checkout_session_id=f"cs_bench_{i}" if kind != "sold" and i % 2 == 0 else None,
        )
        bookings.append(booking)
        booking_seats.append(
            BookingSeat(booking=booking, showtime=showtime, seat=seat, price=Decimal("9.50"), expires_at=expires)
        )
    Booking.objects.bulk_create(bookings, batch_size=2000)
    BookingSeat.objects.bulk_create(booking_seats, batch_size=2000)
    return now


def time_publishing():
    """Accumulate the time spent handing tasks to the broker (core.tasks.send_task_safely and
    send_tasks_safely, which every after-commit enqueue goes through), apart from the database work."""
    import core.tasks

    spent = [0.0]

    def timed(original):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started

        return wrapper

    core.tasks.send_task_safely = timed(core.tasks.send_task_safely)
    core.tasks.send_tasks_safely = timed(core.tasks.send_tasks_safely)
    return spent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lapsed", type=int, default=10_000)
    lapsed = parser.parse_args().lapsed
    database = fresh_database("sweepbench")
    broker_url, broker = throwaway_redis()
    setup_django(CELERY_BROKER_URL=broker_url)

    from django.db.models import Count

    from bookings.models import Booking, BookingSeat
    from bookings.holds.expiry import expire_unpaid_bookings

    build(lapsed)
    publishing = time_publishing()
    started = time.perf_counter()
    expired = expire_unpaid_bookings()
    seconds = time.perf_counter() - started

    by_status = dict(Booking.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    still_active = BookingSeat.objects.filter(active=True).count()
    enqueued = None
    if broker_url.startswith("redis://"):
        import redis

        enqueued = redis.Redis.from_url(broker_url).llen("payments")
    assert expired == lapsed, (expired, lapsed)
    assert by_status == {"expired": lapsed, "pending": LIVE_HOLDS, "paid": SOLD}, by_status
    assert still_active == LIVE_HOLDS + SOLD, still_active

    print(f"expiry sweep of {lapsed:,} lapsed holds (beside {LIVE_HOLDS:,} live holds and {SOLD:,} sold seats); "
          f"{database}; broker: {broker}")
    print(f"expired {expired:,} bookings and released their seats in {seconds:.2f} s "
          f"({expired / seconds:,.0f} per second); Stripe-session expiry tasks enqueued: "
          f"{enqueued if enqueued is not None else 'n/a (in-memory broker)'}")
    print(f"of which publishing the tasks: {publishing[0]:.2f} s; database work: {seconds - publishing[0]:.2f} s")
    verdict = "met" if seconds <= GOAL_SECONDS else "MISSED"
    print(f"goal <= {GOAL_SECONDS:.0f} s: {verdict}")
    return 0 if seconds <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
