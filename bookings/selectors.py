"""Reads about availability. A hold past its `expires_at` counts as free here, at that instant,
whether or not the sweeper has run (DESIGN.md rule 1: the querysets' live()/lapsed())."""

from django.db.models import Prefetch
from django.utils import timezone

from bookings.models import Booking, BookingSeat
from cinema.models import Seat

AVAILABLE, HELD, SOLD = "available", "held", "sold"


def taking_seats(showtime, now):
    """BookingSeat rows that hold or sell a seat of the showtime right now (sold rows have no expiry)."""
    return BookingSeat.objects.live(now).filter(showtime=showtime)


def seat_statuses(showtime, now=None):
    """{seat_id: "held" | "sold"} for the seats taken now; every other seat is available. One query."""
    now = now or timezone.now()
    return {
        seat_id: SOLD if expires_at is None else HELD
        for seat_id, expires_at in taking_seats(showtime, now).values_list("seat_id", "expires_at")
    }


def seat_map(showtime, now=None):
    """Every seat of the showtime's auditorium in row order with its status: two queries, whatever the size."""
    statuses = seat_statuses(showtime, now)
    seats = (
        Seat.objects.filter(auditorium_id=showtime.auditorium_id)
        .order_by("row_index", "number")
        .values_list("id", "row", "number", "label")
    )
    return [
        {"id": pk, "row": row, "number": number, "label": label, "status": statuses.get(pk, AVAILABLE)}
        for pk, row, number, label in seats
    ]


def occupancy(showtime, now=None):
    """{"sold", "held", "free"} counts of a showtime."""
    statuses = seat_statuses(showtime, now)
    sold = sum(1 for s in statuses.values() if s == SOLD)
    held = len(statuses) - sold
    return {"sold": sold, "held": held, "free": showtime.auditorium.seat_count - sold - held}


def active_holds(user, showtime, now):
    """The user's pending, unexpired bookings of this showtime (the anti-hoarding count)."""
    return Booking.objects.live_holds(now).filter(user=user, showtime=showtime)


def bookings_of(user):
    """The bookings a user may read: their own, or every booking for staff."""
    bookings = Booking.objects.all() if user.is_staff else Booking.objects.filter(user=user)
    return with_seats(bookings)


def with_seats(bookings):
    """Bookings with their seats in row order, prefetched (no query per booking)."""
    seats = BookingSeat.objects.select_related("seat").order_by("seat__row_index", "seat__number")
    return bookings.prefetch_related(Prefetch("booking_seats", queryset=seats))
