"""Which free seats an offer takes: the one place that chooses them.

Until `cinema.seating` (best adjacent seats, branch `layouts`) is merged, a simple rule: the
first run of `n` side-by-side free seats in row order, else the first `n` free seats in row
order (a party is offered split seats rather than nothing)."""

from itertools import groupby

from cinema.models import Seat

from .. import selectors


def free_seats(showtime, now):
    """[(seat_id, row_index, number)] of the showtime's seats free at `now`, in row order.

    Free as the seat map says (a hold past its expiry is free at once). Two queries."""
    taken = set(selectors.taking_seats(showtime, now).values_list("seat_id", flat=True))
    seats = (
        Seat.objects.filter(auditorium_id=showtime.auditorium_id)
        .order_by("row_index", "number")
        .values_list("id", "row_index", "number")
    )
    return [seat for seat in seats if seat[0] not in taken]


def _first_adjacent_run(free, n):
    for _, row in groupby(free, key=lambda seat: seat[1]):
        run = []
        for seat in row:
            run = run + [seat] if run and seat[2] == run[-1][2] + 1 else [seat]
            if len(run) == n:
                return run
    return None


def choose_seats(free, n):
    """The seat ids of `free` (row order, as free_seats gives) for an offer of `n` seats, or None
    when fewer than `n` are free: side by side in one row when possible."""
    if n > len(free):
        return None
    chosen = _first_adjacent_run(free, n) or free[:n]
    return [seat_id for seat_id, _, _ in chosen]
