"""The hold's two statements, written by hand: the one place in bookings with SQL of its own.

Why: a hold runs on every seat click, and building these statements through the ORM cost more
CPU than the database spent running them. Measured in the same commit (bench/holds.py and an
in-process run of 600 holds through the API view): ORM version 4.3-4.5 ms of CPU per hold,
these statements 1.7-2.1 ms, i.e. well over the 15 % of hold throughput the team asks of
hand-written SQL (see the commit message for the figures).

- `lock_and_read`: locks the requested seat rows (sorted by id, FOR UPDATE OF the seats:
  step 2 of bookings.locking's order) and reads, in the same round trip, all a hold decides on;
- `insert`: the booking and its seats in one statement on PostgreSQL (data-modifying WITH).

The expiry rule in `lock_and_read` is the SQL form of BookingSeatQuerySet.lapsed() /
BookingQuerySet.live_holds() (bookings.models); change them together."""

import functools

from django.db import connection
from django.db.models.signals import post_save, pre_save

from bookings.models import Booking, BookingSeat
from cinema.models import Seat, Showtime


@functools.cache
def _column(model, name):
    return model._meta.get_field(name).get_col(model._meta.db_table)


def _loaded(model, name, value):
    """A column value read by hand, converted as the ORM would (SQLite returns datetimes as text,
    decimals as numbers; PostgreSQL needs nothing)."""
    col = _column(model, name)
    for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
        value = convert(value, col, connection)
    return value


@functools.cache
def _hold_read_sql(seat_count, vendor):
    names = {
        "seat": Seat._meta.db_table,
        "showtime": Showtime._meta.db_table,
        "booking": Booking._meta.db_table,
        "booking_seat": BookingSeat._meta.db_table,
    }
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    return (
        "SELECT s.id, s.label, st.starts_at, st.price, st.currency, "
        # FILTER rather than WHERE for the expiry: the user's own index (user, showtime, status) then
        # serves it, never a scan of every pending hold, whatever the planner's statistics say.
        "(SELECT COUNT(*) FILTER (WHERE b.expires_at > %s) FROM {booking} b "
        "WHERE b.user_id = %s AND b.showtime_id = %s AND b.status = %s), "
        "bs.booking_id, (bs.expires_at IS NOT NULL AND bs.expires_at <= %s) "
        "FROM {seat} s JOIN {showtime} st ON st.id = %s AND st.auditorium_id = s.auditorium_id "
        # The seat list again on bs: the partial unique index (showtime, seat) is searched with both.
        "LEFT JOIN {booking_seat} bs ON bs.showtime_id = %s AND bs.seat_id = s.id AND bs.active = %s "
        "AND bs.seat_id IN ({ids}) "
        "WHERE s.id IN ({ids}) ORDER BY s.id{lock}"
    ).format(ids=", ".join(["%s"] * seat_count), lock=lock, **names)


def lock_and_read(user, showtime_id, seat_ids, now):
    """Lock the requested seats of the showtime's auditorium (sorted by id, FOR UPDATE) and read,
    in the same round trip, all a hold decides on: the showtime's start, price and currency, each
    seat's label and its active BookingSeat row, and how many unexpired holds the user already
    has on this showtime.

    Returns (facts, labels, current, user_holds): facts = (starts_at, price, currency), or None
    when no requested seat is in the showtime's auditorium (or there is no such showtime);
    labels = [(seat_id, label)] sorted; current = [(seat_id, booking_id, lapsed)] of the active
    rows, `lapsed` true for a hold past its expiry (free to take), false for a live hold or a sale.

    The read shares the statement's snapshot, taken before any wait for a seat lock: a hold of
    the same seats committed while this one waited is not seen here, and the partial unique index
    refuses the insert instead (the same 409, see services.hold_seats)."""
    if not seat_ids:
        return None, [], [], 0
    at = connection.ops.adapt_datetimefield_value(now)
    params = [at, user.pk, showtime_id, Booking.Status.PENDING, at, showtime_id, showtime_id, True, *seat_ids, *seat_ids]
    with connection.cursor() as cursor:
        cursor.execute(_hold_read_sql(len(seat_ids), connection.vendor), params)
        rows = cursor.fetchall()
    if not rows:
        return None, [], [], 0
    _, _, starts_at, price, currency, user_holds, _, _ = rows[0]
    facts = (_loaded(Showtime, "starts_at", starts_at), _loaded(Showtime, "price", price), currency)
    labels = [(row[0], row[1]) for row in rows]
    current = [(row[0], row[6], bool(row[7])) for row in rows if row[6] is not None]
    return facts, labels, current, user_holds


@functools.cache
def _insert_fields(model):
    opts = model._meta
    return [f for f in opts.local_concrete_fields if f is not opts.auto_field and not f.generated]


@functools.cache
def _insert_sql(shape, vendor):
    """The INSERT statements of `shape`, ((model, row count), …): one statement on PostgreSQL
    (the first ones as data-modifying WITH queries), else one per model."""
    qn = connection.ops.quote_name
    statements = []
    for model, row_count in shape:
        fields = _insert_fields(model)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        columns = ", ".join(qn(f.column) for f in fields)
        statements.append(f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES " + ", ".join([row] * row_count))
    if vendor == "postgresql" and len(statements) > 1:
        *first, last = statements
        return ["WITH " + ", ".join(f"insert_{n} AS ({sql})" for n, sql in enumerate(first)) + " " + last]
    return statements


def insert(*batches):
    """INSERT new model instances (each batch a list of one model's) with the values Model.save()
    would write (defaults, auto_now), in one round trip on PostgreSQL, without the ORM's SQL
    compilation on each call: a hold inserts on every request. Foreign keys between the batches
    are checked at commit (Django's constraints are deferred). Falls back to save() when a
    pre/post_save receiver listens. The instances are marked saved."""
    if any(pre_save.has_listeners(type(b[0])) or post_save.has_listeners(type(b[0])) for b in batches):
        for obj in (obj for batch in batches for obj in batch):
            obj.save(force_insert=True)
        return
    statements = _insert_sql(tuple((type(batch[0]), len(batch)) for batch in batches), connection.vendor)
    params = [
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in batch for f in _insert_fields(type(batch[0]))]
        for batch in batches
    ]
    if len(statements) == 1:
        params = [[p for batch_params in params for p in batch_params]]
    with connection.cursor() as cursor:
        for sql, statement_params in zip(statements, params):
            cursor.execute(sql, statement_params)
    for obj in (obj for batch in batches for obj in batch):
        obj._state.adding, obj._state.db = False, connection.alias


