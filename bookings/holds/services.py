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
    CompanionNeedsWheelchair,
    InvalidHold,
    NoAdjacentSeats,
    SeatsUnavailable,
    ShowtimeNotFound,
    TicketTypeNotOnSale,
    TooLate,
    TooManyHolds,
)
from bookings.holds import statements as hold_statements
from bookings.holds.expiry import expire_lapsed_bookings
from bookings.models import Booking, BookingSeat
from cinema.layouts import COMPANION
from cinema.models import Seat, Showtime
from cinema.pricing import ADULT, PriceList
from cinema.seating import best_seats, companions_without_wheelchair
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


def hold_seats(user, showtime, seat_ids=None, *, tickets=None, hold_seconds=None):
    """Hold seats of `showtime` (a Showtime or its id) for `user` for BOOKING_HOLD_SECONDS (or
    `hold_seconds`: a waitlist offer's WAITLIST_OFFER_SECONDS): a pending Booking. `seat_ids` are adult tickets; `tickets` ({seat id: ticket type code}) gives
    each seat its type. A hold sends no task: the sweeper ends it (DESIGN.md rule 1).

    One transaction, in the lock order of bookings.locking: the (user, showtime) lock, so that
    one user's concurrent holds cannot overshoot MAX_PENDING_HOLDS_PER_SHOWTIME; then the
    requested seat rows, sorted, read with the showtime, the seats' current holds and the
    user's cap count in the same statement (bookings.holds.statements). It frees lapsed holds of
    exactly those seats and inserts; the partial unique index is the last word, and a violation
    of it is the same SeatsUnavailable as a conflict found by reading. Raises ShowtimeNotFound,
    InvalidHold, TicketTypeNotOnSale, CompanionNeedsWheelchair, TooManyHolds, SeatsUnavailable;
    changes nothing when it raises."""
    if tickets is None:
        requested = list(seat_ids or [])
        tickets = {seat_id: ADULT for seat_id in requested}
    else:
        tickets = dict(tickets)
        requested = list(tickets)
    showtime_id = getattr(showtime, "pk", showtime)
    if showtime_id > MAX_ID:
        raise ShowtimeNotFound("No such showtime.")
    try:
        seat_ids = _validated_seat_ids(requested)
    except InvalidHold:
        _require_showtime(showtime_id)  # an unknown showtime is a 404 before any 400 about its seats
        raise
    return _holding(showtime_id, seat_ids, lambda now: _hold(user, showtime, showtime_id, seat_ids, tickets, now, hold_seconds))


def hold_best_seats(user, showtime, quantity, ticket_types=()):
    """Hold the best `quantity` seats side by side (cinema.seating.best_seats) for `user`:
    `ticket_types` (codes, at most `quantity`) go to the seats from the left, the rest are adult.

    The choice and the hold are one transaction under the showtime's seating lock (bookings.locking
    step 1b), so that concurrent choosers never pick the same seats; the hold itself is the one of
    hold_seats, with its seat locks and unique index. Raises NoAdjacentSeats (with `largest`) when
    no row has `quantity` free seats together, and whatever hold_seats raises."""
    showtime_id = getattr(showtime, "pk", showtime)
    if type(quantity) is not int or quantity < 1:
        raise InvalidHold("Ask for at least one seat.", code="no_seats")
    if quantity > settings.MAX_SEATS_PER_BOOKING:
        raise InvalidHold(f"At most {settings.MAX_SEATS_PER_BOOKING} seats per booking.", code="too_many_seats")
    if showtime_id > MAX_ID:
        raise ShowtimeNotFound("No such showtime.")

    def choose_and_hold(now):
        locking.lock_user_showtime(user.pk, showtime_id)
        locking.lock_showtime_seating(showtime_id)
        hall = Seat.objects.filter(auditorium__showtimes=showtime_id).values_list("id", "x", "y", "kind", "category")
        taken = BookingSeat.objects.live(now).filter(showtime_id=showtime_id).values_list("seat_id", flat=True)
        choice = best_seats(hall, set(taken), quantity)
        if not choice.seats:
            _require_showtime(showtime_id)
            raise NoAdjacentSeats(
                f"No row has {quantity} free seats side by side; at most {choice.largest} are.",
                largest=choice.largest,
            )
        types = list(ticket_types)[:quantity] + [ADULT] * (quantity - len(ticket_types))
        tickets = dict(zip(choice.seats, types))
        return _hold(user, showtime, showtime_id, sorted(choice.seats), tickets, now, user_locked=True)

    return _holding(showtime_id, None, choose_and_hold)


def _holding(showtime_id, seat_ids, hold):
    """Run `hold(now)` in one transaction; a violation of the seat index, whoever committed
    first, is the same SeatsUnavailable as a conflict found by reading."""
    now = timezone.now()
    try:
        # One transaction (a savepoint when the caller has one open): an IntegrityError rolls all
        # of it back, and is answered below, after the rollback.
        with transaction.atomic():
            return hold(now)
    except IntegrityError as exc:
        if not _is_seat_constraint(exc):
            raise
        # A hold committed while this one waited for a seat lock (or a writer that took no seat
        # lock) got there first: name what is taken now.
        lost = list(
            BookingSeat.objects.live().filter(showtime_id=showtime_id, seat_id__in=seat_ids or [])
            .values_list("seat_id", flat=True)
        )
        raise SeatsUnavailable(lost or seat_ids or []) from exc


def _hold(user, showtime, showtime_id, seat_ids, tickets, now, hold_seconds=None, user_locked=False):
    """The hold itself, inside the caller's transaction (see hold_seats). `user_locked`: the
    caller already took step 1 of the lock order (hold_best_seats, before its seating lock)."""
    if not user_locked:
        locking.lock_user_showtime(user.pk, showtime_id)
    # A seat id beyond a bigint is no seat (and SQLite cannot even bind it).
    facts, labels, current, user_holds = _lock_and_read(user, showtime_id, [s for s in seat_ids if s <= MAX_ID], now)
    starts_at, price, currency, has_prices = facts or (*_require_showtime(showtime_id), False)
    if starts_at <= now:
        raise InvalidHold("This showtime has already started.", code="showtime_started")
    if len(labels) != len(seat_ids):
        unknown = sorted(set(seat_ids) - {seat_id for seat_id, *_ in labels})
        raise InvalidHold("Some seats do not exist in this showtime's auditorium.", code="invalid_seats", seats=unknown)
    # Without price rows the one rule (cinema.pricing) needs none read: adults at the showtime's price.
    prices = PriceList.of_showtime_id(showtime_id, price) if has_prices else PriceList({}, price)
    priced = []
    for seat_id, label, kind, category in labels:
        ticket_type = tickets.get(seat_id, ADULT)
        amount = prices.get(ticket_type, category)
        if amount is None:
            raise TicketTypeNotOnSale(
                f"'{ticket_type}' tickets are not on sale for seat {label} at this showtime.",
                ticket_type=ticket_type, seats=[seat_id],
            )
        priced.append((seat_id, label, ticket_type, amount))
    companions = [seat_id for seat_id, _, kind, _ in labels if kind == COMPANION]
    if companions and now < starts_at - timedelta(minutes=settings.ACCESSIBLE_RELEASE_MINUTES):
        _require_wheelchair_beside(companions, seat_ids)
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
        total=sum((amount for *_, amount in priced), start=price * 0).quantize(quantum(currency)),
        currency=currency,
    )
    if isinstance(showtime, Showtime):
        booking.showtime = showtime
    else:
        booking.showtime_id = showtime_id
    _insert(
        [booking],
        [
            BookingSeat(booking=booking, showtime_id=showtime_id, seat_id=seat_id, ticket_type_id=ticket_type,
                        price=amount, expires_at=expires_at)
            for seat_id, _, ticket_type, amount in priced
        ],
    )
    booking.seats_held = [
        {"id": seat_id, "label": label, "ticket_type": ticket_type, "price": amount}
        for seat_id, label, ticket_type, amount in priced
    ]
    return booking


def _require_wheelchair_beside(companions, seat_ids):
    """CompanionNeedsWheelchair unless each companion seat comes with the wheelchair space
    beside it (cinema.seating); reads the companions' rows, only when one is asked for."""
    rows = Seat.objects.filter(
        auditorium__seats__in=companions[:1], y__in=Seat.objects.filter(pk__in=companions).values("y")
    ).values_list("id", "x", "y", "kind", "category")
    lone = companions_without_wheelchair(rows, seat_ids)
    if lone:
        raise CompanionNeedsWheelchair(
            "A companion seat is sold with the wheelchair space beside it until "
            f"{settings.ACCESSIBLE_RELEASE_MINUTES} minutes before the start.",
            seats=lone,
        )
