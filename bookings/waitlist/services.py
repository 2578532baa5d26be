"""Waitlist operations: join, leave, and offering freed seats in joining order.

Lock order (the bookings one, with the waitlist around it): the showtime row (FOR NO KEY
UPDATE: the per-showtime mutex of offers; it does not block holds, whose inserts only take KEY
SHARE on it), then seat rows sorted (the hold service), then booking rows, then waitlist entries.
An offer is made by the hold service, so a seat offered is held like any other, under the same
seat locks and the same unique index over active seats: never in two offers, never also sold to
a walk-up hold. Offers are made in short transactions of OFFER_BATCH each."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cinema.models import Showtime

from .. import services as bookings
from ..models import Booking, BookingSeat
from . import emails, seats
from .models import WaitlistEntry

logger = logging.getLogger(__name__)

Status = WaitlistEntry.Status
OFFER_TASK = "bookings.offer_waitlist_seats"
OFFER_BATCH = 50


# --- refusals (the API maps them like the hold's: status and code) ---------------------------


class WaitlistClosed(bookings.BookingError):
    status = 400
    code = "waitlist_closed"


class InvalidQuantity(bookings.BookingError):
    status = 400
    code = "invalid_quantity"


class SeatsAvailable(bookings.BookingError):
    status = 409
    code = "seats_available"


class AlreadyWaiting(bookings.BookingError):
    status = 409
    code = "already_waiting"


class EntryNotFound(bookings.BookingError):
    status = 404
    code = "not_found"


# --- rules ----------------------------------------------------------------------------------


def offers_close_at(showtime):
    """No offer (and no joining) from WAITLIST_CUTOFF_MINUTES before the start on."""
    return showtime.starts_at - timedelta(minutes=settings.WAITLIST_CUTOFF_MINUTES)


def is_open(showtime, now):
    return now < offers_close_at(showtime)


def offer_seats_on_commit(showtime_ids):
    """Enqueue `bookings.offer_waitlist_seats` for each showtime once the transaction commits:
    what every change that frees seats calls (sweep, cancellation, refund, deleted user, leave)."""
    for showtime_id in sorted(set(showtime_ids)):
        bookings.send_task_on_commit(OFFER_TASK, showtime_id)


# --- join and leave -------------------------------------------------------------------------


def join(user, showtime_id, quantity):
    """Put `user` on the showtime's waitlist for `quantity` seats: a waiting entry.

    Refused when the waitlist is closed (cutoff), when `quantity` seats are free now (book them
    instead), or when the user already waits or holds an offer there (also under concurrent
    requests: the partial unique index decides)."""
    if showtime_id > bookings.MAX_ID:
        raise bookings.ShowtimeNotFound("No such showtime.")
    showtime = Showtime.objects.filter(pk=showtime_id).first()
    if showtime is None:
        raise bookings.ShowtimeNotFound("No such showtime.")
    if not 1 <= quantity <= settings.MAX_SEATS_PER_BOOKING:
        raise InvalidQuantity(f"Ask for 1 to {settings.MAX_SEATS_PER_BOOKING} seats.")
    now = timezone.now()
    if not is_open(showtime, now):
        raise WaitlistClosed(
            f"The waitlist closes {settings.WAITLIST_CUTOFF_MINUTES} minutes before the showtime starts."
        )
    free = len(seats.free_seats(showtime, now))
    if free >= quantity:
        raise SeatsAvailable(f"{free} seats are free now: book them instead.", free=free)
    if WaitlistEntry.objects.filter(showtime=showtime, user=user, status__in=WaitlistEntry.ACTIVE).exists():
        raise AlreadyWaiting("You are already on the waitlist of this showtime.")
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(showtime=showtime, user=user, quantity=quantity)
    except IntegrityError as exc:  # a concurrent join of the same user won
        raise AlreadyWaiting("You are already on the waitlist of this showtime.") from exc
    logger.info("user %s joined the waitlist of showtime %s for %d seat(s)", user.pk, showtime.pk, quantity)
    return entry


def leave(user, entry_id):
    """The user leaves: a waiting entry is `left`; an offered one too, and its pending booking is
    cancelled so its seats go to the next entry (the offer task runs after commit). Leaving an
    entry that has ended (booked, expired, left) changes nothing. Safe to call twice."""
    entry = WaitlistEntry.objects.filter(pk=entry_id, user=user).first() if entry_id <= bookings.MAX_ID else None
    if entry is None:
        raise EntryNotFound("No such waitlist entry.")
    with transaction.atomic():
        booking = None
        if entry.booking_id:  # the booking before the entry: the lock order
            booking = Booking.objects.select_for_update().get(pk=entry.booking_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        now = timezone.now()
        if entry.status == Status.WAITING:
            _end(entry, Status.LEFT, now)
        elif entry.status == Status.OFFERED and booking.status == Booking.Status.PAID:
            _end(entry, Status.BOOKED, now)
        elif entry.status == Status.OFFERED:
            _release_offer(booking, user, now)
            _end(entry, Status.LEFT, now)
            offer_seats_on_commit([entry.showtime_id])
    return entry


def leave_all(user):
    """A deleted user leaves every waitlist: their waiting and offered entries are `left`. Their
    pending holds (offers included) are released by the deletion itself; the showtimes where they
    held an offer get the offer task after commit, so those seats go to the next entries."""
    entries = WaitlistEntry.objects.filter(user=user, status__in=WaitlistEntry.ACTIVE)
    with_offers = list(entries.filter(status=Status.OFFERED).values_list("showtime_id", flat=True))
    left = entries.update(status=Status.LEFT, ended_at=timezone.now())
    offer_seats_on_commit(with_offers)
    return left


def _release_offer(booking, user, now):
    """End the offer's pending booking now: cancelled for free while its hold runs, expired once lapsed."""
    if booking.status != Booking.Status.PENDING:
        return
    if booking.expires_at > now:
        bookings.cancel_booking(booking, by_user=user)
    else:
        bookings.expire_lapsed_bookings([booking.pk], now)


def _end(entry, status, now):
    entry.status = status
    entry.ended_at = now
    entry.save(update_fields=["status", "ended_at"])


def record_paid(booking):
    """The booking was paid: if it is a waitlist offer, its entry is `booked` (also when the
    payment came after the offer had lapsed and the seats were taken again). Called inside
    the payment's transaction, after the booking row is locked."""
    return WaitlistEntry.objects.filter(booking_id=booking.pk, status__in=[Status.OFFERED, Status.EXPIRED]).update(
        status=Status.BOOKED, ended_at=timezone.now()
    )


# --- offers ---------------------------------------------------------------------------------


def hold_for_offer(user, showtime, seat_ids, now):
    """A hold of `seat_ids` for `user` made by the hold service (its locks, its constraint, its
    refusals), lasting WAITLIST_OFFER_SECONDS from `now` instead of BOOKING_HOLD_SECONDS."""
    booking = bookings.hold_seats(user, showtime, seat_ids)
    booking.expires_at = now + timedelta(seconds=settings.WAITLIST_OFFER_SECONDS)
    Booking.objects.filter(pk=booking.pk).update(expires_at=booking.expires_at)
    BookingSeat.objects.filter(booking_id=booking.pk).update(expires_at=booking.expires_at)
    return booking


def settle_offers(showtime, now):
    """Bring the showtime's offered entries up to date with their bookings: paid -> booked;
    cancelled -> left (declined); expired or lapsed -> expired (a lapsed hold is expired here, so
    its seats are free for the next entry at once). Under the showtime lock."""
    offered = list(
        WaitlistEntry.objects.filter(showtime=showtime, status=Status.OFFERED)
        .select_related("booking")
        .order_by("pk")
    )
    ended = {Status.BOOKED: [], Status.LEFT: [], Status.EXPIRED: []}
    lapsed = []
    for entry in offered:
        booking = entry.booking
        if booking.status == Booking.Status.PAID:
            ended[Status.BOOKED].append(entry.pk)
        elif booking.status == Booking.Status.CANCELLED:
            ended[Status.LEFT].append(entry.pk)
        elif booking.status == Booking.Status.EXPIRED or booking.expires_at <= now:
            ended[Status.EXPIRED].append(entry.pk)
            if booking.status == Booking.Status.PENDING:
                lapsed.append(booking.pk)
    if lapsed:
        bookings.expire_lapsed_bookings(lapsed, now)
    for status, entry_ids in ended.items():
        if entry_ids:
            WaitlistEntry.objects.filter(pk__in=entry_ids, status=Status.OFFERED).update(status=status, ended_at=now)
    return {status: len(ids) for status, ids in ended.items()}


def offer_free_seats(showtime_id):
    """Offer the showtime's free seats to its waiting entries in joining order (the task's body).

    Returns how many offers it made. Batches of OFFER_BATCH offers, each one transaction under
    the showtime lock: two workers running this together wait for each other and the second
    sees the first's offers (its seats are held), so nothing is offered twice."""
    made = 0
    while True:
        batch, more = _offer_batch(showtime_id, OFFER_BATCH)
        made += batch
        if not more:
            break
    if made:
        logger.info("showtime %s: %d waitlist offer(s) made", showtime_id, made)
    return made


def _lock_showtime(showtime_id):
    return (
        Showtime.objects.select_for_update(no_key=True, of=("self",))
        .select_related("movie", "auditorium")
        .filter(pk=showtime_id)
        .first()
    )


def _offer_batch(showtime_id, limit):
    """(offers made, whether more may be possible)."""
    with transaction.atomic():
        showtime = _lock_showtime(showtime_id)
        if showtime is None:
            return 0, False
        now = timezone.now()
        settle_offers(showtime, now)
        if not is_open(showtime, now):
            return 0, False
        free = seats.free_seats(showtime, now)
        if not free:
            return 0, False
        waiting = (
            WaitlistEntry.objects.filter(showtime=showtime, status=Status.WAITING, quantity__lte=len(free))
            .select_related("user")
            .order_by("pk")
        )
        made = 0
        for entry in waiting:
            if entry.quantity > len(free):
                continue
            if made == limit:
                return made, True
            if not entry.user.is_active:  # a deleted user: out of the queue
                _end(entry, Status.LEFT, now)
                continue
            booking, free = _hold_offer(entry, showtime, free, now)
            if booking is None:
                continue
            entry.status, entry.booking, entry.offered_at = Status.OFFERED, booking, now
            entry.save(update_fields=["status", "booking", "offered_at"])
            emails.queue_waitlist_offer(entry, booking)
            made += 1
            if not free:
                break
        return made, False


def _hold_offer(entry, showtime, free, now):
    """Hold seats of `free` for the entry: (booking or None, the seats still free after it).
    Seats a walk-up hold took meanwhile are dropped and others chosen; a refusal that is about
    the user (their holds cap) skips the entry, which keeps its place."""
    while True:
        seat_ids = seats.choose_seats(free, entry.quantity)
        if seat_ids is None:
            return None, free
        try:
            booking = hold_for_offer(entry.user, showtime, seat_ids, now)
        except bookings.SeatsUnavailable as exc:
            lost = set(exc.extra.get("seats") or seat_ids)
            free = [seat for seat in free if seat[0] not in lost]
            continue
        except bookings.BookingError as exc:
            logger.info("waitlist entry %s skipped: %s (%s)", entry.pk, exc.detail, exc.code)
            return None, free
        taken = set(seat_ids)
        return booking, [seat for seat in free if seat[0] not in taken]
