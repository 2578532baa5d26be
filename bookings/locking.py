"""The one lock order of bookings, so that two operations never wait on each other in a circle.

Every place that locks booking or seat rows comes through here, in this order:

0. a showtime's waitlist: its showtime row FOR NO KEY UPDATE, so that one run of the waitlist's
   offers per showtime goes at a time (holds are not blocked: their inserts only take KEY SHARE
   on the showtime row);
1. the (user, showtime) hold lock: a transaction-scoped advisory lock on PostgreSQL
   (`pg_advisory_xact_lock`), so that one user's concurrent holds on one showtime run one
   after the other and the MAX_PENDING_HOLDS_PER_SHOWTIME count cannot be overshot;
   1b. the showtime's seating lock (advisory too), taken only by holds that choose their seats
   (best available, waitlist offers): the choice reads which seats are free, so two choosers
   must not read at once; holds of named seats never take it;
2. seat rows, sorted by id;
3. booking rows, sorted by id;
4. the bookings' BookingSeat rows, sorted by seat.

Each call sets a lock timeout (`SET LOCAL lock_timeout` on PostgreSQL, LOCK_TIMEOUT_MS): a
wait that long means something is stuck, and the request fails rather than piling up. Locks
live as long as the transaction, so every function refuses to run outside one (as pretix's
`lock_objects` and Saleor's `lock_objects` do)."""

import zlib

from django.contrib.auth import get_user_model
from django.db import connection

from bookings.models import Booking, BookingSeat
from cinema.models import Seat, Showtime

LOCK_TIMEOUT_MS = 5000
# The first key of the two-int advisory lock: which kind of lock this is (ASCII "hold").
HOLD_LOCK_NAMESPACE = 0x686F6C64
# … and of the showtime's seating lock (ASCII "seat").
SEATING_LOCK_NAMESPACE = 0x73656174


class NotInTransaction(RuntimeError):
    """A lock taken outside a transaction would be released at once: a bug in the caller."""


def _require_transaction():
    if not connection.in_atomic_block:
        raise NotInTransaction("bookings.locking must be called inside transaction.atomic()")


def _prepare():
    """Refuse to run outside a transaction; on PostgreSQL, set the lock timeout once per transaction."""
    _require_transaction()
    if connection.vendor == "postgresql" and getattr(connection, "_bookings_locking_block", None) is not connection.atomic_blocks[0]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{LOCK_TIMEOUT_MS}ms"])  # = SET LOCAL
        # The outermost Atomic names this transaction (kept referenced, so never mistaken for a later one).
        connection._bookings_locking_block = connection.atomic_blocks[0]


def lock_showtime_waitlist(showtime_id):
    """Step 0: the showtime row, locked FOR NO KEY UPDATE (with its movie and hall read), or None.
    The offers of its waitlist are made under it, so two runs never offer the same seats."""
    _prepare()
    found = list(
        Showtime.objects.select_for_update(no_key=True, of=("self",))
        .select_related("movie", "auditorium")
        .filter(pk=showtime_id)
    )
    return found[0] if found else None


def lock_user_showtime(user_id, showtime_id):
    """Step 1: serialise one user's holds on one showtime until the transaction ends.

    An advisory lock costs one statement and no row (locking the user row would also block
    that user's other writes); the lock timeout is set in the same statement. On databases
    without advisory locks (SQLite, which runs one writer at a time anyway) it is a no-op."""
    _advisory_lock(HOLD_LOCK_NAMESPACE, zlib.crc32(f"{user_id}:{showtime_id}".encode()) - 2**31)  # signed int4 keys


def lock_showtime_seating(showtime_id):
    """Step 1b: serialise the holds that choose seats on one showtime (see the module docstring)
    until the transaction ends. A no-op on databases without advisory locks (SQLite)."""
    _advisory_lock(SEATING_LOCK_NAMESPACE, int(showtime_id) % 2**31)


def _advisory_lock(namespace, key):
    _require_transaction()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, true), pg_advisory_xact_lock(%s, %s)",
            [f"{LOCK_TIMEOUT_MS}ms", namespace, key],
        )
    connection._bookings_locking_block = connection.atomic_blocks[0]


def lock_seats(queryset):
    """Step 2: lock the seat rows of `queryset`, sorted by id. Returns them (a list)."""
    _prepare()
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))


def lock_bookings(queryset, skip_locked=False):
    """Step 3: lock the booking rows of `queryset`, sorted by id. Returns them (a list);
    with skip_locked, rows another transaction holds are left out (sweepers)."""
    _prepare()
    return list(queryset.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("pk"))


def lock_booking(booking_id, select_related=()):
    """Lock one booking row (step 3) and return it, or None when there is none."""
    found = lock_bookings(Booking.objects.filter(pk=booking_id).select_related(*select_related))
    return found[0] if found else None


def lock_booking_seats(queryset):
    """Step 4, after the booking: lock BookingSeat rows, sorted by (seat, id). Returns them."""
    _prepare()
    return list(queryset.select_for_update(of=("self",)).order_by("seat_id", "-id"))


def lock_booking_for_payment(booking_id):
    """Lock a booking that is being paid or refunded, after the rows others lock before it.

    Paying inserts rows that point at the booking's user (the email) and seats (the tickets): on
    PostgreSQL those inserts take KEY SHARE locks on them, which would wait for whoever holds
    them FOR UPDATE while waiting for this booking (a hold of the same seats expiring it; the
    user's deletion releasing holds). So: the user row FOR KEY SHARE (it does not block a hold,
    which only inserts against it; Django's ORM has no KEY SHARE, hence the statement), the
    seat rows sorted (step 2), then the booking (step 3). None when there is no such booking."""
    _prepare()
    row = Booking.objects.filter(pk=booking_id).values("user_id").first()
    if row is None:
        return None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(get_user_model()._meta.db_table)
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [row["user_id"]])
    lock_seats(Seat.objects.filter(pk__in=BookingSeat.objects.filter(booking_id=booking_id).values("seat_id")).only("pk"))
    return lock_booking(booking_id)
