"""Operations that change bookings: one transaction each, safe to call twice.

Rows are locked through bookings.locking, in its one order. A hold's end is `expires_at` in the
database (Booking.objects.lapsed()); the sweeper only tidies up."""

import logging
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cinema.models import Showtime
from core.money import quantum
from core.tasks import enqueue_many_on_commit

from . import emails, enqueue, hold_statements, locking
from .exceptions import BookingError, InvalidHold, SeatsUnavailable, ShowtimeNotFound, TooLate, TooManyHolds  # noqa: F401 (BookingError: callers catch it here)
from .models import Booking, BookingSeat

logger = logging.getLogger(__name__)

SEAT_CONSTRAINT = "uniq_active_seat_per_showtime"
SWEEP_CHUNK = 1000
MAX_ID = 2**63 - 1  # ids are bigints: a larger one names no row


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
    facts = Showtime.objects.filter(pk=showtime_id).order_by().values_list("starts_at", "price", "currency").first()
    if facts is None:
        raise ShowtimeNotFound("No such showtime.")
    return facts


# Seams of the hold (tests stand in for them to force an interleaving).
_lock_and_read = hold_statements.lock_and_read
_insert = hold_statements.insert


def hold_seats(user, showtime, seat_ids):
    """Hold `seat_ids` of `showtime` (a Showtime or its id) for `user` for BOOKING_HOLD_SECONDS:
    a pending Booking. A hold sends no task: the sweeper ends it (DESIGN.md rule 1).

    One transaction, in the lock order of bookings.locking: the (user, showtime) lock, so that
    one user's concurrent holds cannot overshoot MAX_PENDING_HOLDS_PER_SHOWTIME; then the
    requested seat rows, sorted, read with the showtime, the seats' current holds and the
    user's cap count in the same statement (bookings.hold_statements). It frees lapsed holds of
    exactly those seats and inserts; the partial unique index is the last word, and a violation
    of it is the same SeatsUnavailable as a conflict found by reading. Raises ShowtimeNotFound,
    InvalidHold, TooManyHolds, SeatsUnavailable; changes nothing when it raises."""
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
        # One transaction (a savepoint when the caller has one open): an IntegrityError rolls all
        # of it back, and is answered below, after the rollback.
        with transaction.atomic():
            locking.lock_user_showtime(user.pk, showtime_id)
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
    except IntegrityError as exc:
        if not _is_seat_constraint(exc):
            raise
        # A hold committed while this one waited for a seat lock (or a writer that took no seat
        # lock) got there first: name what is taken now.
        lost = list(
            BookingSeat.objects.live().filter(showtime_id=showtime_id, seat_id__in=seat_ids).values_list("seat_id", flat=True)
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
    ids = [
        booking.pk
        for booking in locking.lock_bookings(
            Booking.objects.lapsed(now).filter(pk__in=list(booking_ids)).only("pk"), skip_locked=skip_locked
        )
    ]
    if not ids:
        return []
    Booking.objects.filter(pk__in=ids).update(status=Booking.Status.EXPIRED, expired_at=now, updated_at=now)
    BookingSeat.objects.lapsed(now).filter(booking_id__in=ids).update(active=False)
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
                Booking.objects.lapsed(now)
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
        return None if booking.is_lapsed(at) else Decimal(0).quantize(q)
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
        booking = locking.lock_booking(booking.pk, select_related=["showtime"])
        now = timezone.now()
        if booking.is_over(now):
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
            enqueue.send_on_commit("bookings.refund_booking", str(booking.pk))
        logger.info("booking %s cancelled by user %s, refund %s", booking.reference, by_user.pk, amount)
    return booking


def release_pending_holds_of_user(user):
    """A deleted user's pending holds end now: lapsed ones expire, the others are cancelled for free.

    Called by bookings.receivers on accounts.signals.user_deleted (inside that transaction).
    Paid bookings are kept for the accounts. Returns how many holds it ended."""
    with transaction.atomic():
        now = timezone.now()
        pending = locking.lock_bookings(Booking.objects.filter(user=user, status=Booking.Status.PENDING).only("status", "expires_at"))
        expire_lapsed_bookings([b.pk for b in pending if b.is_lapsed(now)], now)
        live = [b.pk for b in pending if not b.is_lapsed(now)]
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
