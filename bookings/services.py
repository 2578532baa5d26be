"""Operations that change bookings: one transaction each, safe to call twice.

Lock order, everywhere in this app (so that two operations never wait on each other in a
circle): seat rows (sorted by id), then booking rows (sorted by id), then BookingSeat rows.
A hold's end is `expires_at` in the database; the tasks only tidy up."""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cinema.currencies import quantum
from cinema.models import Seat
from config.tasks import enqueue_many_on_commit, enqueue_on_commit

from . import emails, selectors
from .models import Booking, BookingSeat

logger = logging.getLogger(__name__)

SEAT_CONSTRAINT = "uniq_active_seat_per_showtime"
SWEEP_CHUNK = 1000


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


def _lock_seats(user, showtime, seat_ids, now):
    """Lock the requested seats of the showtime's auditorium (sorted by id, FOR UPDATE) and read,
    in the same round trip, how many unexpired holds the user already has on this showtime.

    Returns ([(seat_id, label)…], user_holds). One hand-written statement: it runs on every hold,
    and the ORM's compilation of the same query (a locking select with a counted subquery) cost
    more CPU than the database spent on it."""
    seat_table, booking_table = Seat._meta.db_table, Booking._meta.db_table
    placeholders = ", ".join(["%s"] * len(seat_ids))
    lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT s.id, s.label, (SELECT COUNT(*) FROM {booking_table} b WHERE b.user_id = %s "
        f"AND b.showtime_id = %s AND b.status = %s AND b.expires_at > %s) "
        f"FROM {seat_table} s WHERE s.auditorium_id = %s AND s.id IN ({placeholders}) ORDER BY s.id{lock}"
    )
    params = [
        user.pk,
        showtime.pk,
        Booking.Status.PENDING,
        connection.ops.adapt_datetimefield_value(now),
        showtime.auditorium_id,
        *seat_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    user_holds = rows[0][2] if rows else 0
    return [(seat_id, label) for seat_id, label, _ in rows], user_holds


def _active_rows(showtime, seat_ids, now):
    """[(seat_id, booking_id, lapsed)] of the active BookingSeat rows of these seats: `lapsed` is
    true for a hold past its expiry (free to take), false for a live hold or a sale (no expiry).
    Hand-written for the same reason as _lock_seats; the comparison is done by the database."""
    placeholders = ", ".join(["%s"] * len(seat_ids))
    sql = (
        f"SELECT seat_id, booking_id, (expires_at IS NOT NULL AND expires_at <= %s) "
        f"FROM {BookingSeat._meta.db_table} WHERE showtime_id = %s AND active = %s AND seat_id IN ({placeholders})"
    )
    params = [connection.ops.adapt_datetimefield_value(now), showtime.pk, True, *seat_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(seat_id, booking_id, bool(lapsed)) for seat_id, booking_id, lapsed in cursor.fetchall()]


def hold_seats(user, showtime, seat_ids):
    """Hold `seat_ids` of `showtime` for `user` for BOOKING_HOLD_SECONDS: a pending Booking.

    One transaction that locks what it reads (the requested seat rows, sorted by id), frees lapsed
    holds of exactly those seats, and inserts; the partial unique index is the last word, and a
    violation of it is the same SeatsUnavailable as a conflict found by reading. The per-user cap
    (MAX_PENDING_HOLDS_PER_SHOWTIME) is anti-hoarding, not a lock: the throttle bounds how far one
    user's simultaneous requests could overshoot it. Raises InvalidHold, TooManyHolds,
    SeatsUnavailable; changes nothing when it raises."""
    seat_ids = _validated_seat_ids(list(seat_ids))
    now = timezone.now()
    if showtime.starts_at <= now:
        raise InvalidHold("This showtime has already started.", code="showtime_started")

    try:
        # The whole hold is one transaction (a savepoint when the caller has one open): an
        # IntegrityError rolls all of it back, and is answered below, after the rollback.
        with transaction.atomic():
            seats, user_holds = _lock_seats(user, showtime, seat_ids, now)
            if len(seats) != len(seat_ids):
                unknown = sorted(set(seat_ids) - {seat_id for seat_id, _ in seats})
                raise InvalidHold(
                    "Some seats do not exist in this showtime's auditorium.", code="invalid_seats", seats=unknown
                )
            if user_holds >= settings.MAX_PENDING_HOLDS_PER_SHOWTIME:
                raise TooManyHolds(
                    f"You already hold seats {settings.MAX_PENDING_HOLDS_PER_SHOWTIME} times for this showtime; "
                    "pay for or cancel a hold first."
                )

            current = _active_rows(showtime, seat_ids, now)  # read after the lock: what the others committed
            lapsed = {booking_id for _, booking_id, has_lapsed in current if has_lapsed}
            if lapsed:
                expire_lapsed_bookings(lapsed, now)
            taken = [seat_id for seat_id, _, has_lapsed in current if not has_lapsed]
            if taken:
                raise SeatsUnavailable(taken)

            expires_at = now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS)
            booking = Booking.objects.create(
                user=user,
                showtime=showtime,
                status=Booking.Status.PENDING,
                expires_at=expires_at,
                total=(showtime.price * len(seats)).quantize(quantum(showtime.currency)),
                currency=showtime.currency,
            )
            BookingSeat.objects.bulk_create(
                BookingSeat(
                    booking=booking, showtime=showtime, seat_id=seat_id, price=showtime.price, expires_at=expires_at
                )
                for seat_id, _ in seats
            )
            send_task_on_commit("bookings.expire_booking", str(booking.pk), countdown=settings.BOOKING_HOLD_SECONDS)
    except IntegrityError as exc:
        if not _is_seat_constraint(exc):
            raise
        # A writer that did not take the seat locks got there first: name what is taken now.
        lost = list(
            selectors.taking_seats(showtime, timezone.now()).filter(seat_id__in=seat_ids).values_list("seat_id", flat=True)
        )
        raise SeatsUnavailable(lost or seat_ids) from exc
    booking.seats_held = [{"id": seat_id, "label": label} for seat_id, label in seats]
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
