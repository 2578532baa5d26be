"""Plain helpers of the waitlist tests (fixtures are in conftest.py)."""

from datetime import timedelta

from django.utils import timezone

from bookings.holds import services
from bookings.models import Booking, BookingSeat
from tests.factories import UserFactory

JOIN = "/api/v1/showtimes/{}/waitlist/"
MINE = "/api/v1/waitlist/"


def seat_ids_of(showtime):
    return list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))


def take(showtime, seat_ids, paid=True):
    """A booking of `seat_ids` by a fresh user through the hold service; paid (sold) by default."""
    booking = services.hold_seats(UserFactory(), showtime, seat_ids)
    if paid:
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.PAID, paid_at=timezone.now())
        booking.booking_seats.update(expires_at=None)
        booking.refresh_from_db()
    return booking


def free_up(*bookings):
    """End these bookings and release their seats in one go (as a cancellation does)."""
    ids = [b.pk for b in bookings]
    Booking.objects.filter(pk__in=ids).update(status=Booking.Status.CANCELLED, cancelled_at=timezone.now())
    BookingSeat.objects.filter(booking_id__in=ids).update(active=False)


def offered_seats(entry):
    """The seat ids held by the entry's offer, sorted."""
    return sorted(entry.booking.booking_seats.filter(active=True).values_list("seat_id", flat=True))



def lapse(booking):
    """Move the booking's hold into the past (what time does to an unpaid hold)."""
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=booking.pk).update(expires_at=past)
    BookingSeat.objects.filter(booking=booking).update(expires_at=past)
