"""Best available seats: which n seats side by side to give someone who asked for "n seats".

Pure (no database): the caller reads the hall and the taken seats, this module only chooses.
Used by holds with `quantity` and by the waitlist's offers.

    from cinema.seating import best_seats
    choice = best_seats(seats, taken, 3)   # seats: (id, x, y, kind, category), taken: ids
    choice.seats    # (12, 13, 14): ids left to right, or () when no row has 3 together
    choice.largest  # the largest number of free ordinary seats side by side anywhere

The rules (contract, "Ticket types and prices"):
- the n seats are in one row with adjacent columns (x, x+1, …): no gap, aisle or taken seat
  between them, and never a wheelchair space or companion seat;
- rows about two thirds of the way back from the screen first, then the middle of the row;
- within a row, never leave exactly one free seat stranded beside the chosen block (between it
  and a taken seat, an aisle, an accessible seat or the wall) when another choice in that row
  leaves none.
"""

from dataclasses import dataclass
from typing import Iterable, NamedTuple

from .layouts import COMPANION, SEAT, WHEELCHAIR


class HallSeat(NamedTuple):
    """A seat as best_seats reads it; any 5-tuple in this order will do."""

    id: int
    x: int
    y: int
    kind: str
    category: str


@dataclass(frozen=True)
class Choice:
    seats: tuple  # the chosen ids, left to right; () when no row has `quantity` together
    largest: int  # the largest block of free ordinary seats side by side (the 409's `largest`)


def free_blocks(seats: Iterable, taken):
    """(blocks, rows): blocks = {y: [[HallSeat, …], …]}, the runs of free ordinary seats with
    adjacent columns, per row, left to right (rows without one are absent); rows = {y: [every
    HallSeat of that row, by x]}."""
    taken = set(taken)
    rows = {}
    for seat in seats:
        seat = HallSeat(*seat)
        rows.setdefault(seat.y, []).append(seat)
    blocks = {}
    for y, row in rows.items():
        row.sort(key=lambda s: s.x)
        run = []
        for seat in row:
            usable = seat.kind == SEAT and seat.id not in taken
            if usable and run and seat.x == run[-1].x + 1:
                run.append(seat)
                continue
            if run:
                blocks.setdefault(y, []).append(run)
            run = [seat] if usable else []
        if run:
            blocks.setdefault(y, []).append(run)
    return blocks, rows


def best_seats(seats: Iterable, taken, quantity: int) -> Choice:
    """The best `quantity` seats side by side (see the module docstring for the rules).

    `seats`: every seat of the hall as (id, x, y, kind, category) tuples or HallSeat; `taken`:
    the ids held or sold now. Deterministic: the same hall and occupancy give the same seats."""
    blocks, rows = free_blocks(seats, taken)
    largest = max((len(run) for runs in blocks.values() for run in runs), default=0)
    if quantity < 1 or quantity > largest:
        return Choice((), largest)
    front, back = min(rows), max(rows)
    best_key, best = None, None
    for y, runs in blocks.items():
        # Distances in thirds and halves keep the arithmetic in integers.
        row_distance = abs(3 * (y - front) - 2 * (back - front))
        xs = [s.x for s in rows[y]]
        middle2 = min(xs) + max(xs)  # twice the row's middle column
        for run in runs:
            for start in range(len(run) - quantity + 1):
                left, right = start, len(run) - quantity - start
                strands = left == 1 or right == 1
                centre2 = run[start].x + run[start + quantity - 1].x
                key = (row_distance, -y, strands, abs(centre2 - middle2), run[start].x)
                if best_key is None or key < best_key:
                    best_key, best = key, run[start : start + quantity]
    return Choice(tuple(seat.id for seat in best), largest)


def companions_without_wheelchair(seats: Iterable, chosen) -> list:
    """The companion seats among `chosen` (ids) whose wheelchair space beside them (x - 1 or
    x + 1 in the same row) is not chosen too, sorted. `seats`: the hall, as for best_seats.
    The contract sells such a companion seat alone only from ACCESSIBLE_RELEASE_MINUTES before
    the start; deciding when is the caller's business."""
    chosen = set(chosen)
    places = {}
    for seat in seats:
        seat = HallSeat(*seat)
        places[(seat.y, seat.x)] = seat
    lone = []
    for seat in places.values():
        if seat.kind != COMPANION or seat.id not in chosen:
            continue
        beside = (places.get((seat.y, seat.x + dx)) for dx in (-1, 1))
        if not any(b is not None and b.kind == WHEELCHAIR and b.id in chosen for b in beside):
            lone.append(seat.id)
    return sorted(lone)
