"""Operations that change bookings: one transaction each, safe to call twice.

Lock order, everywhere in this app (so that two operations never wait on each other in a
circle): seat rows (sorted by id), then booking rows (sorted by id), then BookingSeat rows.
A hold's end is `expires_at` in the database; the tasks only tidy up."""

import functools
import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from cinema.currencies import quantum
from cinema.models import Seat, Showtime
from config.tasks import enqueue_many_on_commit, enqueue_on_commit

from . import emails, selectors
from .models import Booking, BookingSeat

logger = logging.getLogger(__name__)

SEAT_CONSTRAINT = "uniq_active_seat_per_showtime"
SWEEP_CHUNK = 1000
MAX_ID = 2**63 - 1  # ids are bigints: a larger one names no row


# --- domain errors (the views map them to 400 / 409 responses) ---------------------------------


class BookingError(Exception):
    """A refusal with a stable `code`; `status` is the HTTP status the API answers with."""

    status = 400
    code = "invalid"

    def __init__(self, detail, code=None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.extra = extra


class InvalidHold(BookingError):
    status = 400
    code = "invalid_seats"


class ShowtimeNotFound(BookingError):
    status = 404
    code = "not_found"


class SeatsUnavailable(BookingError):
    status = 409
    code = "seats_unavailable"

    def __init__(self, seat_ids):
        seat_ids = sorted(seat_ids)
        super().__init__(
            f"{len(seat_ids)} of the seats you chose {'is' if len(seat_ids) == 1 else 'are'} already taken.",
            seats=seat_ids,
        )


class TooManyHolds(BookingError):
    status = 409
    code = "too_many_holds"


class TooLate(BookingError):
    status = 409
    code = "too_late"


# --- sending tasks by name --------------------------------------------------------------------


def send_task_on_commit(name, *args, **options):
    """Send the task called `name` once the transaction commits, without importing it.

    By name so that services need not import tasks (which import services), and so that a task
    another engineer registers later (e.g. `bookings.refund_booking`) is routed as configured."""
    enqueue_on_commit(current_app.signature(name), *args, **options)


# --- holds ------------------------------------------------------------------------------------


def _validated_seat_ids(seat_ids):
    if not seat_ids:
        raise InvalidHold("Choose at least one seat.", code="no_seats")
    if len(set(seat_ids)) != len(seat_ids):
        dupes = sorted({s for s in seat_ids if seat_ids.count(s) > 1})
        raise InvalidHold("The same seat is listed more than once.", code="duplicate_seats", seats=dupes)
    if len(seat_ids) > settings.MAX_SEATS_PER_BOOKING:
        raise InvalidHold(
            f"At most {settings.MAX_SEATS_PER_BOOKING} seats per booking.", code="too_many_seats"
        )
    return sorted(seat_ids)


def _is_seat_constraint(exc):
    """True when an IntegrityError comes from the one-active-booking-per-seat index."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == SEAT_CONSTRAINT
    text = str(exc)
    return SEAT_CONSTRAINT in text or "bookings_bookingseat.showtime_id, bookings_bookingseat.seat_id" in text


def _require_showtime(showtime_id):
    """(starts_at, price, currency) of the showtime; ShowtimeNotFound when there is none.
    Only for refusals: a hold reads these facts in its locking statement."""
    facts = Showtime.objects.filter(pk=showtime_id).values_list("starts_at", "price", "currency").first()
    if facts is None:
        raise ShowtimeNotFound("No such showtime.")
    return facts


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


def _lock_and_read(user, showtime_id, seat_ids, now):
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
    refuses the insert instead (the same 409, see hold_seats). Hand-written: it runs on every
    hold, and the ORM's compilation of it cost more CPU than the database spent on it."""
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


def _insert(*batches):
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


def hold_seats(user, showtime, seat_ids):
    """Hold `seat_ids` of `showtime` (a Showtime or its id) for `user` for BOOKING_HOLD_SECONDS:
    a pending Booking.

    One transaction that locks what it reads (the requested seat rows, sorted by id, read with
    the showtime and the seats' current holds in the same statement), frees lapsed holds of
    exactly those seats, and inserts; the partial unique index is the last word, and a violation
    of it is the same SeatsUnavailable as a conflict found by reading. The per-user cap
    (MAX_PENDING_HOLDS_PER_SHOWTIME) is anti-hoarding, not a lock: the throttle bounds how far one
    user's simultaneous requests could overshoot it. Raises ShowtimeNotFound, InvalidHold,
    TooManyHolds, SeatsUnavailable; changes nothing when it raises."""
    showtime_id = getattr(showtime, "pk", showtime)
    if showtime_id > MAX_ID:
        raise ShowtimeNotFound("No such showtime.")
    try:
        seat_ids = _validated_seat_ids(list(seat_ids))
    except InvalidHold:
        _require_showtime(showtime_id)  # an unknown showtime is a 404 before any 400 about its seats
        raise
    now = timezone.now()

    try:
        # The whole hold is one transaction (a savepoint when the caller has one open): an
        # IntegrityError rolls all of it back, and is answered below, after the rollback.
        with transaction.atomic():
            # A seat id beyond a bigint is no seat (and SQLite cannot even bind it).
            facts, labels, current, user_holds = _lock_and_read(
                user, showtime_id, [s for s in seat_ids if s <= MAX_ID], now
            )
            starts_at, price, currency = facts or _require_showtime(showtime_id)
            if starts_at <= now:
                raise InvalidHold("This showtime has already started.", code="showtime_started")
            if len(labels) != len(seat_ids):
                unknown = sorted(set(seat_ids) - {seat_id for seat_id, _ in labels})
                raise InvalidHold(
                    "Some seats do not exist in this showtime's auditorium.", code="invalid_seats", seats=unknown
                )
            if user_holds >= settings.MAX_PENDING_HOLDS_PER_SHOWTIME:
                raise TooManyHolds(
                    f"You already hold seats {settings.MAX_PENDING_HOLDS_PER_SHOWTIME} times for this showtime; "
                    "pay for or cancel a hold first."
                )

            lapsed = {booking_id for _, booking_id, has_lapsed in current if has_lapsed}
            if lapsed:
                expire_lapsed_bookings(lapsed, now)
            taken = [seat_id for seat_id, _, has_lapsed in current if not has_lapsed]
            if taken:
                raise SeatsUnavailable(taken)

            expires_at = now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS)
            booking = Booking(
                user=user,
                status=Booking.Status.PENDING,
                expires_at=expires_at,
                total=(price * len(labels)).quantize(quantum(currency)),
                currency=currency,
            )
            if isinstance(showtime, Showtime):
                booking.showtime = showtime
            else:
                booking.showtime_id = showtime_id
            _insert(
                [booking],
                [
                    BookingSeat(booking=booking, showtime_id=showtime_id, seat_id=seat_id, price=price, expires_at=expires_at)
                    for seat_id, _ in labels
                ],
            )
            send_task_on_commit("bookings.expire_booking", str(booking.pk), countdown=settings.BOOKING_HOLD_SECONDS)
    except IntegrityError as exc:
        if not _is_seat_constraint(exc):
            raise
        # A hold committed while this one waited for a seat lock (or a writer that took no seat
        # lock) got there first: name what is taken now.
        lost = list(
            selectors.taking_seats(showtime_id, timezone.now()).filter(seat_id__in=seat_ids).values_list("seat_id", flat=True)
        )
        raise SeatsUnavailable(lost or seat_ids) from exc
    booking.seats_held = [{"id": seat_id, "label": label} for seat_id, label in labels]
    return booking


# --- expiry -----------------------------------------------------------------------------------


def on_hold_expired(booking_ids):
    """Hook: called inside the transaction that ended these pending holds (expired, or cancelled
    before payment), so that nothing can still pay for them.

    Sends "bookings.expire_stripe_session" after commit for each of them that has a Checkout
    Session, so the session (which Stripe keeps open at least 30 minutes) can no longer be paid;
    never a network call here: this runs in the sweeper's bulk transaction."""
    with_session = Booking.objects.filter(pk__in=list(booking_ids), checkout_session_id__isnull=False)
    # One producer for the whole batch: a sweep of thousands of holds publishes them together.
    enqueue_many_on_commit(
        current_app.signature("bookings.expire_stripe_session"),
        [(str(booking_id),) for booking_id in with_session.values_list("pk", flat=True)],
    )


def expire_lapsed_bookings(booking_ids, now, skip_locked=False):
    """Mark those of `booking_ids` that are pending and past `expires_at` as expired, release their seats.

    Locks the booking rows (sorted) first, so that a payment being recorded at the same moment
    wins or loses cleanly; a booking paid meanwhile no longer matches and is left alone. Only
    these bookings' own BookingSeat rows are touched, never a newer hold of the same seats.
    Returns the ids it expired."""
    ids = list(
        Booking.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk__in=list(booking_ids), status=Booking.Status.PENDING, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    Booking.objects.filter(pk__in=ids).update(status=Booking.Status.EXPIRED, expired_at=now, updated_at=now)
    BookingSeat.objects.filter(booking_id__in=ids, active=True, expires_at__isnull=False).update(active=False)
    on_hold_expired(ids)
    return ids


def expire_booking(booking_id):
    """Expire one booking if it is still pending and its hold has run out. Idempotent.

    Returns True when it expired it now, False when there was nothing to do (paid, cancelled,
    already expired, not yet due, unknown)."""
    with transaction.atomic():
        return bool(expire_lapsed_bookings([booking_id], timezone.now()))


def expire_unpaid_bookings(chunk_size=SWEEP_CHUNK):
    """Sweep every pending booking past its hold, in chunks of bulk updates. Returns how many.

    Each chunk is one short transaction; rows locked by someone else (a payment in progress)
    are skipped and picked up by the next run."""
    now = timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            candidates = list(
                Booking.objects.filter(status=Booking.Status.PENDING, expires_at__lte=now)
                .order_by("expires_at", "pk")
                .values_list("pk", flat=True)[:chunk_size]
            )
            if not candidates:
                break
            expired = expire_lapsed_bookings(candidates, now, skip_locked=True)
        total += len(expired)
        if not expired:
            break  # everything left is locked by another transaction; the next run takes it
    if total:
        logger.info("expired %d unpaid bookings", total)
    return total


# --- cancellation and refunds -----------------------------------------------------------------


def refund_amount_for(booking, at=None):
    """What cancelling `booking` at `at` (default now) would refund, or None when it cannot be cancelled.

    Policy (settings): a pending hold cancels for free (0); a paid booking is refunded in full
    until REFUND_FULL_HOURS before the start, REFUND_PARTIAL_PERCENT % until REFUND_NONE_HOURS
    before, and not at all after that (None: too late). Ended bookings (cancelled, expired, or a
    hold past its expiry) give None. Pure: reads only the booking and its showtime."""
    at = at or timezone.now()
    q = quantum(booking.currency)
    if booking.status == Booking.Status.PENDING:
        return Decimal(0).quantize(q) if booking.expires_at > at else None
    if booking.status != Booking.Status.PAID:
        return None
    time_left = booking.showtime.starts_at - at
    if time_left >= timedelta(hours=settings.REFUND_FULL_HOURS):
        return booking.total.quantize(q)
    if time_left >= timedelta(hours=settings.REFUND_NONE_HOURS):
        share = booking.total * Decimal(settings.REFUND_PARTIAL_PERCENT) / Decimal(100)
        return share.quantize(q, rounding=ROUND_HALF_UP)
    return None


def _release_seats(booking_ids):
    return BookingSeat.objects.filter(booking_id__in=booking_ids, active=True).update(active=False)


def cancel_booking(booking, by_user):
    """Cancel a pending (free) or paid (refund per policy) booking and release its seats.

    One transaction with the booking row locked. Raises TooLate when it has already ended or the
    showtime is inside the no-refund window. A refund above zero is left `pending` for the task
    "bookings.refund_booking" (payments), sent after commit; the cancellation email is queued in
    the same transaction. Returns the updated booking."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("showtime").get(pk=booking.pk)
        now = timezone.now()
        ended = booking.status in (Booking.Status.CANCELLED, Booking.Status.EXPIRED) or (
            booking.status == Booking.Status.PENDING and booking.expires_at <= now
        )
        if ended:
            raise TooLate(f"This booking has already ended ({'expired' if booking.status != 'cancelled' else 'cancelled'}).")
        amount = refund_amount_for(booking, now)
        if amount is None:
            raise TooLate(
                f"Bookings cannot be cancelled in the last {settings.REFUND_NONE_HOURS} hours before the showtime."
            )
        was_paid = booking.status == Booking.Status.PAID
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.refund_amount = amount
        booking.refund_status = (
            Booking.RefundStatus.PENDING if was_paid and amount > 0 else Booking.RefundStatus.NONE
        )
        booking.save(update_fields=["status", "cancelled_at", "refund_amount", "refund_status", "updated_at"])
        _release_seats([booking.pk])
        if not was_paid:
            on_hold_expired([booking.pk])  # the hold ended: close its Checkout Session like an expiry
        emails.queue_booking_cancelled(booking)
        if booking.refund_status == Booking.RefundStatus.PENDING:
            send_task_on_commit("bookings.refund_booking", str(booking.pk))
        logger.info("booking %s cancelled by user %s, refund %s", booking.reference, by_user.pk, amount)
    return booking


def release_pending_holds_of_user(user):
    """A deleted user's pending holds end now: lapsed ones expire, the others are cancelled for free.

    Called by bookings.receivers on accounts.signals.user_deleted (inside that transaction).
    Paid bookings are kept for the accounts. Returns how many holds it ended."""
    with transaction.atomic():
        now = timezone.now()
        pending = list(
            Booking.objects.select_for_update()
            .filter(user=user, status=Booking.Status.PENDING)
            .order_by("pk")
            .values_list("pk", "expires_at")
        )
        expire_lapsed_bookings([pk for pk, expires_at in pending if expires_at <= now], now)
        live = [pk for pk, expires_at in pending if expires_at > now]
        if live:
            Booking.objects.filter(pk__in=live).update(
                status=Booking.Status.CANCELLED,
                cancelled_at=now,
                refund_amount=Decimal(0),
                refund_status=Booking.RefundStatus.NONE,
                updated_at=now,
            )
            _release_seats(live)
            on_hold_expired(live)
    return len(pending)
