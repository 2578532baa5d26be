"""Reads about availability. A hold past its `expires_at` counts as free here, at that instant,
whether or not the sweeper has run (DESIGN.md rule 1: the querysets' live()/lapsed())."""

from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DecimalField,
    ExpressionWrapper,
    Prefetch,
    Q,
    Value,
)
from django.utils import timezone

from bookings.models import Booking, BookingSeat
from cinema.models import Seat, ShowtimePrice
from cinema.pricing import ADULT, PriceList
from core.money import amount_string

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
    """Every seat of the showtime's auditorium, row by row from the screen, with its status, kind,
    category, place (x, y) and adult price: two queries whatever the size. `showtime` needs its
    price and currency.

    The first query reads the rows taking seats now and the showtime's price rows together
    (UNION ALL: the same round trip the statuses alone cost); the second the seats. Both are
    plain index reads, whatever the statistics say (a join of seats to their takers was planned
    as a nested loop over every row while a new hall had no statistics: 167 ms at 2,000 seats)."""
    now = now or timezone.now()
    statuses, price_rows = {}, {}
    for seat_id, sold, ticket_type, category, price in _statuses_and_prices(showtime, now):
        if seat_id is None:
            price_rows[(ticket_type, category)] = price
        else:
            statuses[seat_id] = SOLD if sold else HELD
    prices = PriceList(price_rows, showtime.price)
    adult = {}
    seats = (
        Seat.objects.filter(auditorium_id=showtime.auditorium_id)
        .order_by("y", "x")
        .values_list("id", "row", "number", "label", "kind", "category", "x", "y")
    )
    rows = []
    for pk, row, number, label, kind, category, x, y in seats:
        if category not in adult:
            adult[category] = amount_string(prices.get(ADULT, category), showtime.currency)
        rows.append({"id": pk, "row": row, "number": number, "label": label, "status": statuses.get(pk, AVAILABLE),
                     "kind": kind, "category": category, "x": x, "y": y, "price": adult[category]})
    return rows


def _statuses_and_prices(showtime, now):
    """(seat id, sold, None, None, None) per seat taken now, then (None, None, ticket type,
    category, price) per price row of the showtime: one query."""
    sold = ExpressionWrapper(Q(expires_at__isnull=True), output_field=BooleanField())
    taking = taking_seats(showtime, now).order_by().values_list(
        "seat_id", sold, Value(None, CharField()), Value(None, CharField()), Value(None, DecimalField())
    )
    priced = ShowtimePrice.objects.filter(showtime_id=showtime.pk).order_by().values_list(
        Value(None, BigIntegerField()), Value(None, BooleanField()), "ticket_type_id", "category", "price"
    )
    return taking.union(priced, all=True)


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
