"""Which free seats an offer takes: the one place that chooses them.

The best seats side by side as any "best seats" hold chooses them (cinema.seating.best_seats),
else the first `n` free seats in row order (a party is offered split seats rather than nothing).
Wheelchair spaces and companion seats are never offered before ACCESSIBLE_RELEASE_MINUTES ahead
of the start: until then they stay for the people who need them."""

from datetime import timedelta

from django.conf import settings

from cinema.layouts import ACCESSIBLE_KINDS
from cinema.models import Seat
from cinema.seating import best_seats

from .. import selectors


def free_seats(showtime, now):
    """[(seat_id, x, y, kind, category)] of the showtime's seats that an offer may take at `now`,
    in row order: free as the seat map says (a hold past its expiry is free at once), and not an
    accessible seat before its release. Two queries."""
    taken = set(selectors.taking_seats(showtime, now).values_list("seat_id", flat=True))
    released = now >= showtime.starts_at - timedelta(minutes=settings.ACCESSIBLE_RELEASE_MINUTES)
    seats = (
        Seat.objects.filter(auditorium_id=showtime.auditorium_id)
        .order_by("y", "x")
        .values_list("id", "x", "y", "kind", "category")
    )
    return [seat for seat in seats if seat[0] not in taken and (released or seat[3] not in ACCESSIBLE_KINDS)]


def choose_seats(free, n):
    """The seat ids of `free` (as free_seats gives) for an offer of `n` seats, or None when fewer
    than `n` are free: the best block side by side in one row when there is one."""
    if n > len(free):
        return None
    together = best_seats(free, set(), n).seats
    return sorted(together) if together else [seat[0] for seat in free[:n]]
