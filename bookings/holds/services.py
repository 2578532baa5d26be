"""Holding seats: one transaction that locks what it reads, backed by the unique index.

Rows are locked through bookings.locking, in its one order."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import locking
from bookings.exceptions import (  # noqa: F401 (BookingError: callers catch it here)
    BookingError,
    InvalidHold,
    SeatsUnavailable,
    ShowtimeNotFound,
    TooLate,
    TooManyHolds,
)
from bookings.holds import statements as hold_statements
from bookings.holds.expiry import expire_lapsed_bookings
from bookings.models import Booking, BookingSeat
from cinema.models import Showtime
from core.money import quantum

logger = logging.getLogger(__name__)

SEAT_CONSTRAINT = "uniq_active_seat_per_showtime"
MAX_ID = 2**63 - 1  # ids are bigints: a larger one names no row




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


def hold_seats(user, showtime, seat_ids, hold_seconds=None):
    """Hold `seat_ids` of `showtime` (a Showtime or its id) for `user` for BOOKING_HOLD_SECONDS
    (or `hold_seconds`: a waitlist offer's WAITLIST_OFFER_SECONDS): a pending Booking. A hold
    sends no task: the sweeper ends it (DESIGN.md rule 1).

    One transaction, in the lock order of bookings.locking: the (user, showtime) lock, so that
    one user's concurrent holds cannot overshoot MAX_PENDING_HOLDS_PER_SHOWTIME; then the
    requested seat rows, sorted, read with the showtime, the seats' current holds and the
    user's cap count in the same statement (bookings.holds.statements). It frees lapsed holds of
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

            expires_at = now + timedelta(seconds=hold_seconds or settings.BOOKING_HOLD_SECONDS)
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
