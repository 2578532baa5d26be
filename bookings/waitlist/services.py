"""Waitlist operations: join, leave, and offering freed seats in joining order.

Locks follow bookings.locking: the showtime's waitlist lock (step 0, the per-showtime mutex of
offers, which does not block holds), then whatever the hold service locks (the user's hold lock,
seat rows sorted), then booking rows; waitlist entries come last. An offer is made by the hold
service, so a seat offered is held like any other, under the same seat locks and the same unique
index over active seats: never in two offers, never also sold to a walk-up hold. Each offer is
its own short transaction."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import locking
from bookings.exceptions import (
    AlreadyWaiting,
    BookingError,
    InvalidQuantity,
    SeatsAvailable,
    SeatsUnavailable,
    ShowtimeNotFound,
    WaitlistClosed,
    WaitlistEntryNotFound,
)
from bookings.holds import services as holds
from bookings.holds.expiry import expire_lapsed_bookings
from bookings.models import Booking
from bookings.payments.cancellation import cancel_booking
from cinema.models import Showtime

from . import emails, seats
from .models import WaitlistEntry

logger = logging.getLogger(__name__)

Status = WaitlistEntry.Status
QUEUE_SLICE = 100  # waiting entries read at a time


# --- rules ----------------------------------------------------------------------------------


def offers_close_at(showtime):
    """No offer (and no joining) from WAITLIST_CUTOFF_MINUTES before the start on."""
    return showtime.starts_at - timedelta(minutes=settings.WAITLIST_CUTOFF_MINUTES)


def is_open(showtime, now):
    return now < offers_close_at(showtime)


# --- join and leave -------------------------------------------------------------------------


def join(user, showtime_id, quantity):
    """Put `user` on the showtime's waitlist for `quantity` seats: a waiting entry.

    Refused when the waitlist is closed (cutoff), when `quantity` seats are free now (book them
    instead), or when the user already waits or holds an offer there (also under concurrent
    requests: the partial unique index decides)."""
    if showtime_id > holds.MAX_ID:
        raise ShowtimeNotFound("No such showtime.")
    showtime = Showtime.objects.filter(pk=showtime_id).first()
    if showtime is None:
        raise ShowtimeNotFound("No such showtime.")
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
    entry = WaitlistEntry.objects.filter(pk=entry_id, user=user).first() if entry_id <= holds.MAX_ID else None
    if entry is None:
        raise WaitlistEntryNotFound("No such waitlist entry.")
    while True:
        with transaction.atomic():
            booking = locking.lock_booking(entry.booking_id) if entry.booking_id else None  # before the entry
            locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
            if locked.booking_id != entry.booking_id:
                entry = locked  # offered meanwhile (once per entry): again, its booking locked first
                continue
            now = timezone.now()
            if locked.status == Status.WAITING:
                _end(locked, Status.LEFT, now)
            elif locked.status == Status.OFFERED and booking.status == Booking.Status.PAID:
                _end(locked, Status.BOOKED, now)
            elif locked.status == Status.OFFERED:
                _release_offer(booking, user, now)  # its seats go to the next entry (after commit)
                _end(locked, Status.LEFT, now)
            return locked


def leave_all(user):
    """A deleted user leaves every waitlist: their waiting and offered entries are `left`. Their
    pending holds, offers included, are released by the deletion itself (bookings.receivers),
    which offers those seats to the next entries."""
    return WaitlistEntry.objects.filter(user=user, status__in=WaitlistEntry.ACTIVE).update(
        status=Status.LEFT, ended_at=timezone.now()
    )


def _release_offer(booking, user, now):
    """End the offer's pending booking now: cancelled for free while its hold runs, expired once lapsed."""
    if booking.status != Booking.Status.PENDING:
        return
    if booking.is_lapsed(now):
        expire_lapsed_bookings([booking.pk], now)
    else:
        cancel_booking(booking, by_user=user)


def _end(entry, status, now):
    entry.status = status
    entry.ended_at = now
    entry.save(update_fields=["status", "ended_at"])


# --- offers ---------------------------------------------------------------------------------


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
        elif booking.status == Booking.Status.EXPIRED or booking.is_lapsed(now):
            ended[Status.EXPIRED].append(entry.pk)
            if booking.status == Booking.Status.PENDING:
                lapsed.append(booking.pk)
    if lapsed:
        expire_lapsed_bookings(lapsed, now)
    for status, entry_ids in ended.items():
        if entry_ids:
            WaitlistEntry.objects.filter(pk__in=entry_ids, status=Status.OFFERED).update(status=status, ended_at=now)
    return {status: len(ids) for status, ids in ended.items()}


def offer_free_seats(showtime_id):
    """Offer the showtime's free seats to its waiting entries in joining order (the task's body).

    Returns how many offers it made. One offer per transaction, each under the showtime lock:
    the seat locks of an offer are held only while that offer is made (a walk-up hold waits for
    one offer at most), two runs of the same showtime take turns, and an entry is claimed only
    while it is still waiting, so nothing is offered twice. The walk goes forward in joining
    order: an entry passed over (it does not fit, its user is at the holds cap) is not looked at
    again in this run, since the free seats only shrink while it runs."""
    made, after = 0, 0
    while after is not None:
        offered, after = _offer_next(showtime_id, after)
        made += offered
    if made:
        logger.info("showtime %s: %d waitlist offer(s) made", showtime_id, made)
    return made


def _offer_next(showtime_id, after):
    """One transaction: the next offer to an entry joined after entry `after`. Returns (1 or 0,
    the entry to go on after, or None when the run is over)."""
    with transaction.atomic():
        showtime = locking.lock_showtime_waitlist(showtime_id)
        if showtime is None:
            return 0, None
        now = timezone.now()
        settle_offers(showtime, now)
        if not is_open(showtime, now):
            return 0, None
        free = seats.free_seats(showtime, now)
        if not free:
            return 0, None
        # Plain rows, not models, a slice at a time: the queue may be long.
        waiting = list(
            WaitlistEntry.objects.filter(
                showtime=showtime, status=Status.WAITING, pk__gt=after, quantity__lte=len(free)
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:QUEUE_SLICE]
        )
        for entry_id in waiting:
            entry = WaitlistEntry.objects.select_related("user").get(pk=entry_id)
            if not entry.user.is_active:  # a deleted user: out of the queue
                _end(entry, Status.LEFT, now)
                continue
            booking, free = _make_offer(entry, showtime, free, now)
            if booking is not None:
                return 1, entry_id
        return 0, (waiting[-1] if len(waiting) == QUEUE_SLICE else None)


def _make_offer(entry, showtime, free, now):
    """Hold seats for the entry and mark it offered, with its email: (booking or None, the seats
    still free). The entry is claimed by a conditional UPDATE after the hold (entries come last in
    the lock order): if its user left meanwhile, the hold is rolled back with its savepoint."""
    with transaction.atomic():
        booking, still_free = _hold_offer(entry, showtime, free)
        if booking is None:
            return None, still_free
        claimed = WaitlistEntry.objects.filter(pk=entry.pk, status=Status.WAITING).update(
            status=Status.OFFERED, booking=booking, offered_at=now
        )
        if not claimed:
            transaction.set_rollback(True)  # left meanwhile: its seats stay free for the next entry
            return None, free
    entry.status, entry.booking, entry.offered_at = Status.OFFERED, booking, now
    emails.queue_waitlist_offer(entry, booking)
    return booking, still_free


def _hold_offer(entry, showtime, free):
    """Hold seats of `free` for the entry: (booking or None, the seats still free after it).
    Seats a walk-up hold took meanwhile are dropped and others chosen; a refusal that is about
    the user (their holds cap) skips the entry, which keeps its place."""
    while True:
        seat_ids = seats.choose_seats(free, entry.quantity)
        if seat_ids is None:
            return None, free
        try:
            booking = holds.hold_seats(entry.user, showtime, seat_ids, hold_seconds=settings.WAITLIST_OFFER_SECONDS)
        except SeatsUnavailable as exc:
            lost = set(exc.extra.get("seats") or seat_ids)
            free = [seat for seat in free if seat[0] not in lost]
            continue
        except BookingError as exc:
            logger.info("waitlist entry %s skipped: %s (%s)", entry.pk, exc.detail, exc.code)
            return None, free
        taken = set(seat_ids)
        return booking, [seat for seat in free if seat[0] not in taken]
