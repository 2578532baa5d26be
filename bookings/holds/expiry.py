"""The end of holds: a hold past `expires_at` is free at once (Booking.objects.lapsed());
the sweeper and these functions only tidy up (status expired, seats released, Stripe session closed)."""

import logging
from decimal import Decimal

from celery import current_app
from django.db import transaction
from django.utils import timezone

from bookings import locking
from bookings.models import Booking, BookingSeat
from bookings.waitlist import triggers as waitlist
from core.tasks import enqueue_many_on_commit

logger = logging.getLogger(__name__)

SWEEP_CHUNK = 1000




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
    waitlist.offer_freed_seats(ids)
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


def release_seats(booking_ids):
    """Let these bookings' seats go (a cancellation, a refund, a deleted user): the waitlist of
    their showtimes is offered them after commit."""
    released = BookingSeat.objects.filter(booking_id__in=booking_ids, active=True).update(active=False)
    if released:
        waitlist.offer_freed_seats(booking_ids)
    return released


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
            release_seats(live)
            on_hold_expired(live)
    return len(pending)
