"""Auditorium layouts: the JSON staff write, checked and turned into seat positions.

A layout is `{"rows": [{"label": "A", "category": "standard", "seats": [1, 2, null, 3,
{"number": 4, "kind": "wheelchair"}, {"number": 5, "kind": "companion"}]}]}` (the contract's
section "Auditorium layouts"): a number is a seat of the row's category, `null` a gap one seat
wide, an object a seat with its own `kind` and/or `category`. Rows count from the screen (`y` 0
is the front row); `x` is the column counted from 0, gaps included.

Pure: no database. `parse_layout` either returns every seat or raises one ValidationError whose
message names the row, so a bad layout changes nothing."""

import re
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError

SEAT, WHEELCHAIR, COMPANION = "seat", "wheelchair", "companion"
KINDS = (SEAT, WHEELCHAIR, COMPANION)
ACCESSIBLE_KINDS = frozenset({WHEELCHAIR, COMPANION})
STANDARD = "standard"

MAX_ROWS = 40
MAX_SEATS_PER_ROW = 60
MAX_COLUMNS = 80  # seats and gaps of one row
MAX_LABEL_LENGTH = 3  # Seat.row
MAX_SEAT_LABEL_LENGTH = 8  # Seat.label: row label + number
CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")


@dataclass(frozen=True)
class SeatSpec:
    """One seat of a parsed layout, as it will be stored."""

    row: str
    number: int
    kind: str
    category: str
    x: int
    y: int

    @property
    def label(self):
        return f"{self.row}{self.number}"


@dataclass(frozen=True)
class Layout:
    seats: tuple  # of SeatSpec, row by row, left to right
    rows: int
    width: int  # columns of the widest row, gaps included

    @property
    def categories(self):
        """The category slugs used, in order of first appearance."""
        return list(dict.fromkeys(seat.category for seat in self.seats))


def row_letters(index):
    """0 -> A, 25 -> Z, 26 -> AA: rows beyond Z keep sorting after it."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rem] + letters
    return letters


def grid_layout(rows, seats_per_row):
    """The plain grid of the first release as a layout: rows A, B, …, seats 1…n, all standard."""
    return {"rows": [{"label": row_letters(r), "seats": list(range(1, seats_per_row + 1))} for r in range(rows)]}


class LayoutError(ValidationError):
    """A malformed layout; the message names the row (its label, or its position from 1)."""

    def __init__(self, message, row=None):
        super().__init__(f"Row {row}: {message}" if row is not None else message, code="invalid_layout")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _category(value, row_name, what):
    if not isinstance(value, str) or not CATEGORY_RE.match(value):
        raise LayoutError(
            f"{what} category {value!r} is not a slug (lower-case letters, digits, - or _, up to 20).", row_name
        )
    return value


def _parse_seat(item, row_category, row_name):
    """(number, kind, category) of one entry of a row's `seats`, or None for a gap."""
    if item is None:
        return None
    if _is_int(item):
        number, kind, category = item, SEAT, row_category
    elif isinstance(item, dict):
        unknown = set(item) - {"number", "kind", "category"}
        if unknown:
            raise LayoutError(f"unknown seat field(s) {', '.join(sorted(unknown))}.", row_name)
        number = item.get("number")
        if not _is_int(number):
            raise LayoutError(f"a seat object needs a whole `number`, not {number!r}.", row_name)
        kind = item.get("kind", SEAT)
        if kind not in KINDS:
            raise LayoutError(f"seat {number} has kind {kind!r}; use one of {', '.join(KINDS)}.", row_name)
        category = _category(item.get("category", row_category), row_name, f"seat {number}'s")
    else:
        raise LayoutError(f"{item!r} is not a seat number, a seat object or null.", row_name)
    if not 1 <= number <= 999:
        raise LayoutError(f"seat number {number} is outside 1-999.", row_name)
    return number, kind, category


def _parse_row(row, y, labels_seen):
    row_name = str(y + 1)
    if not isinstance(row, dict):
        raise LayoutError("a row is an object with `seats`.", row_name)
    unknown = set(row) - {"label", "category", "seats"}
    if unknown:
        raise LayoutError(f"unknown field(s) {', '.join(sorted(unknown))}.", row_name)
    label = row.get("label", row_letters(y))
    if not isinstance(label, str) or not label.strip() or len(label.strip()) > MAX_LABEL_LENGTH:
        raise LayoutError(f"label {label!r} must be 1-{MAX_LABEL_LENGTH} characters.", row_name)
    label = label.strip()
    row_name = f"{y + 1} ({label})"
    category = _category(row.get("category", STANDARD), row_name, "the row's")
    items = row.get("seats")
    if not isinstance(items, list) or not items:
        raise LayoutError("`seats` must be a non-empty list.", row_name)
    if len(items) > MAX_COLUMNS:
        raise LayoutError(f"{len(items)} columns; at most {MAX_COLUMNS}.", row_name)
    seats, numbers = [], set()
    for x, item in enumerate(items):
        parsed = _parse_seat(item, category, row_name)
        if parsed is None:
            continue
        number, kind, seat_category = parsed
        if number in numbers:
            raise LayoutError(f"seat number {number} appears twice.", row_name)
        numbers.add(number)
        if len(f"{label}{number}") > MAX_SEAT_LABEL_LENGTH:
            raise LayoutError(f"seat label {label}{number} is too long.", row_name)
        seats.append(SeatSpec(row=label, number=number, kind=kind, category=seat_category, x=x, y=y))
    if seats and label in labels_seen:  # a row of gaps only (a cross aisle) needs no label
        raise LayoutError(f"label {label} is used by another row.", row_name)
    if seats:
        labels_seen.add(label)
    if len(seats) > MAX_SEATS_PER_ROW:
        raise LayoutError(f"{len(seats)} seats; at most {MAX_SEATS_PER_ROW}.", row_name)
    kinds_at = {seat.x: seat.kind for seat in seats}
    for seat in seats:
        if seat.kind == COMPANION and WHEELCHAIR not in (kinds_at.get(seat.x - 1), kinds_at.get(seat.x + 1)):
            raise LayoutError(f"companion seat {seat.number} has no wheelchair space beside it.", row_name)
    return seats, len(items)


def parse_layout(data):
    """The seats of a layout (see the module docstring), or LayoutError naming the faulty row."""
    if not isinstance(data, dict) or set(data) != {"rows"}:
        raise LayoutError('A layout is an object {"rows": [...]}.')
    rows = data["rows"]
    if not isinstance(rows, list) or not rows:
        raise LayoutError("`rows` must be a non-empty list.")
    if len(rows) > MAX_ROWS:
        raise LayoutError(f"{len(rows)} rows; at most {MAX_ROWS}.")
    seats, width, labels = [], 0, set()
    for y, row in enumerate(rows):
        row_seats, columns = _parse_row(row, y, labels)
        seats.extend(row_seats)
        width = max(width, columns)
    if not seats:
        raise LayoutError("The layout has no seat.")
    return Layout(seats=tuple(seats), rows=len(rows), width=width)


def layout_of(seats):
    """The layout JSON that draws these stored seats (id-less dicts or models with row, number,
    kind, category, x, y): what the admin shows for editing an existing hall."""
    by_row = {}
    for seat in seats:
        by_row.setdefault(seat.y, []).append(seat)
    rows = []
    for y in range(max(by_row) + 1 if by_row else 0):
        if y not in by_row:
            rows.append({"seats": [None]})  # a cross aisle
            continue
        row_seats = sorted(by_row[y], key=lambda s: s.x)
        counts = {}
        for s in row_seats:
            counts[s.category] = counts.get(s.category, 0) + 1
        category = max(counts, key=counts.get)
        cells = [None] * (row_seats[-1].x + 1)
        for s in row_seats:
            extra = {}
            if s.kind != SEAT:
                extra["kind"] = s.kind
            if s.category != category:
                extra["category"] = s.category
            cells[s.x] = {"number": s.number, **extra} if extra else s.number
        rows.append({"label": row_seats[0].row, "category": category, "seats": cells})
    return {"rows": rows}


def hall_rows(seats, place=lambda seat: (seat.row, seat.x, seat.y)):
    """The hall as drawn: [(row label, [seat or None per column])], front row first, every row
    as wide as the widest (None = aisle or gap). `place(seat)` gives (row label, x, y); by
    default the attributes of a SeatSpec or Seat. Rows with no seat (cross aisles) come out as
    rows of None."""
    placed = [(seat, *place(seat)) for seat in seats]
    if not placed:
        return []
    width = max(x for _, _, x, _ in placed) + 1
    rows, labels = {}, {}
    for seat, label, x, y in placed:
        rows.setdefault(y, [None] * width)[x] = seat
        labels[y] = label
    return [(labels.get(y, ""), rows.get(y, [None] * width)) for y in range(max(rows) + 1)]
