"""What the rest of bookings tells the waitlist, without importing its services: the hold,
expiry and payment code call these, and the waitlist's services call the hold code, so going
through this small module (models and the task's name only) keeps the imports free of circles.

- Seats came free (the expiry sweep, a cancellation, a refunded late payment, a deleted user's
  released holds): `offer_freed_seats` enqueues `bookings.offer_waitlist_seats` after commit for
  each showtime of those bookings that has a waitlist. A showtime without one costs no message.
- A booking was paid: `record_paid` makes the waitlist entry it was offered to `booked`."""

from django.utils import timezone

from bookings import enqueue
from bookings.models import Booking

from .models import WaitlistEntry

OFFER_TASK = "bookings.offer_waitlist_seats"


def offer_seats_on_commit(showtime_ids):
    """Enqueue the offer task for each showtime once the transaction commits."""
    for showtime_id in sorted(set(showtime_ids)):
        enqueue.send_on_commit(OFFER_TASK, showtime_id)


def offer_freed_seats(booking_ids):
    """These bookings' seats were released in the current transaction: offer them (one query)."""
    showtimes = Booking.objects.filter(pk__in=list(booking_ids)).values("showtime_id")
    with_waitlist = (
        WaitlistEntry.objects.filter(showtime_id__in=showtimes, status__in=WaitlistEntry.ACTIVE)
        .order_by()
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    offer_seats_on_commit(with_waitlist)


def record_paid(booking):
    """The booking was paid: if it is a waitlist offer, its entry is `booked` (also when the
    payment came after the offer had lapsed and the seats were taken again). Called inside the
    payment's transaction, after the booking row is locked (entries come last in the lock order)."""
    return WaitlistEntry.objects.filter(
        booking_id=booking.pk, status__in=[WaitlistEntry.Status.OFFERED, WaitlistEntry.Status.EXPIRED]
    ).update(status=WaitlistEntry.Status.BOOKED, ended_at=timezone.now())
