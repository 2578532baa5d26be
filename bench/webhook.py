"""Stripe webhook benchmark: `python bench/webhook.py` (PostgreSQL and Redis from DATABASE_URL and
CELERY_BROKER_URL, else throwaway ones, as bench/holds.py does).

Measures what the webhook answers in: verify the signature, insert the event by its id, enqueue
`bookings.process_stripe_event` on a real Redis after commit, answer 200. It starts gunicorn
(gthread, keep-alive, DEBUG off, CONN_MAX_AGE=60) on a fresh `<db>_webhook_bench` database and
fires rounds of 50 concurrent deliveries (50 clients on their own keep-alive connections,
released together by a barrier), first all new events, then the same events again
(duplicates), and prints p50/p90/p99/max per phase against the goal p99 <= 50 ms, plus a check
that each event was stored exactly once and enqueued exactly once. No worker runs: processing
is not part of the answer time. Runtime is bounded (well under a minute)."""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _net import free_port, answers  # noqa: E402

SECRET = "whsec_bench_" + secrets.token_hex(8)
CONCURRENCY = 50
GOAL_P99_MS = 50.0


def recreate_database(url):
    import psycopg

    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "cinema") + "_webhook_bench"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path="/" + name))


def sign(payload):
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def make_event(i):
    """A realistic checkout.session.completed body (about 1.5 kB)."""
    session = {
        "id": f"cs_test_bench_{i}_{secrets.token_hex(8)}",
        "object": "checkout.session",
        "amount_subtotal": 1900,
        "amount_total": 1900,
        "currency": "usd",
        "client_reference_id": "00000000-0000-0000-0000-000000000000",
        "customer_details": {"email": f"bench{i}@example.com", "name": "Ada Lovelace", "address": {"country": "US"}},
        "expires_at": int(time.time()) + 1800,
        "livemode": False,
        "metadata": {"booking_id": "00000000-0000-0000-0000-000000000000", "reference": "BEN-CH00"},
        "mode": "payment",
        "payment_intent": f"pi_bench_{secrets.token_hex(10)}",
        "payment_method_types": ["card"],
        "payment_status": "paid",
        "status": "complete",
        "success_url": "http://localhost:8000/bookings/x/?checkout=success",
        "cancel_url": "http://localhost:8000/bookings/x/?checkout=cancelled",
        "url": None,
    }
    return json.dumps(
        {
            "id": f"evt_bench_{i}_{secrets.token_hex(8)}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "data": {"object": session},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": "checkout.session.completed",
        }
    )


def run_rounds(port, bodies, rounds, concurrency=CONCURRENCY):
    """`rounds` bursts of `concurrency` simultaneous POSTs; returns (latencies ms, status counts, seconds)."""
    barrier = threading.Barrier(concurrency)
    latencies, statuses, lock = [], {}, threading.Lock()

    def client(c):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], {}
        for r in range(rounds):
            body = bodies[r * concurrency + c]
            headers = {"Content-Type": "application/json", "Stripe-Signature": sign(body), "Host": "127.0.0.1"}
            barrier.wait()
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/webhooks/stripe/", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                code = resp.status
            except (OSError, http.client.HTTPException):
                code = "error"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - t0) * 1000)
            codes[code] = codes.get(code, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=client, args=(c,)) for c in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return latencies, statuses, time.perf_counter() - start


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def report(name, latencies, statuses, seconds):
    p50, p90, p99 = (percentile(latencies, p) for p in (50, 90, 99))
    print(
        f"{name:<12} n={len(latencies):>4}  p50={p50:6.1f} ms  p90={p90:6.1f} ms  p99={p99:6.1f} ms  "
        f"max={max(latencies):6.1f} ms  mean={statistics.mean(latencies):6.1f} ms  "
        f"{len(latencies) / seconds:6.0f} req/s  statuses={statuses}  "
        f"goal p99<={GOAL_P99_MS:.0f} ms: {'met' if p99 <= GOAL_P99_MS else 'NOT met'}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="bursts of 50 deliveries per phase")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=25, help="threads per gunicorn process")
    args = parser.parse_args()
    deadline = time.monotonic() + 55

    from bench.holds import Services  # DATABASE_URL's PostgreSQL or a throwaway one; Redis likewise

    services = Services()
    gunicorn = None
    try:
        env = {
            **os.environ,
            "DATABASE_URL": recreate_database(services.start()),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + secrets.token_hex(24),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PAYMENT_GATEWAY": "local",
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("STRIPE_SECRET_KEY", None)
        broker = env["CELERY_BROKER_URL"]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=40)
        print(f"fresh database migrated in {time.perf_counter() - t0:.1f} s; broker {broker}")

        import redis

        queue = redis.Redis.from_url(broker)
        queue.delete("payments")

        port = free_port()
        gunicorn = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
                "-w", str(args.workers), "--threads", str(args.threads), "--keep-alive", "30", "--log-level", "warning",
            ],
            cwd=ROOT, env=env, start_new_session=True,
        )
        while not answers("127.0.0.1", port):
            if gunicorn.poll() is not None or time.monotonic() > deadline:
                sys.exit("gunicorn did not start")
            time.sleep(0.1)
        print(f"load average before the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
        print(
            f"gunicorn gthread {args.workers}x{args.threads} on :{port}; "
            f"{CONCURRENCY} concurrent deliveries per burst, {args.rounds} bursts per phase"
        )
        warm = [make_event(-i) for i in range(1, CONCURRENCY * 2 + 1)]
        run_rounds(port, warm, 2)  # warm-up: connections, imports, the DB pool

        alone = [make_event(-1000 - i) for i in range(200)]
        bodies = [make_event(i) for i in range(CONCURRENCY * args.rounds)]
        phases = [
            ("one at once", alone, len(alone), 1),  # the service time, no queueing
            ("new events", bodies, args.rounds, CONCURRENCY),
            ("duplicates", bodies, args.rounds, CONCURRENCY),
        ]
        all_ok = True
        for name, phase_bodies, rounds, concurrency in phases:
            latencies, statuses, seconds = run_rounds(port, phase_bodies, rounds, concurrency)
            report(name, latencies, statuses, seconds)
            all_ok = all_ok and set(statuses) == {200}

        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            stored = conn.execute("SELECT count(*) FROM bookings_stripeevent WHERE id LIKE 'evt_bench_%'").fetchone()[0]
        enqueued = queue.llen("payments")
        expected = len(bodies) + len(warm) + len(alone)
        print(
            f"integrity: {stored} events stored for {expected} distinct ids (the {len(bodies)} of the bursts "
            f"delivered twice); {enqueued} process_stripe_event tasks enqueued — "
            f"{'OK' if stored == enqueued == expected else 'MISMATCH'}"
        )
        queue.delete("payments")
        # Timings are reported against the goal; only a wrong answer or a lost/doubled event fails the run.
        return 0 if stored == enqueued == expected and all_ok else 1
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            try:
                gunicorn.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)
        services.stop()

if __name__ == "__main__":
    sys.exit(main())
