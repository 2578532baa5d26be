"""cinema.seating.best_seats: exact choices on hand-made halls, and properties over random ones."""

from hypothesis import given, settings, strategies as st

from cinema.layouts import COMPANION, SEAT, WHEELCHAIR
from cinema.seating import Choice, HallSeat, best_seats, companions_without_wheelchair


def hall(*rows):
    """Seats from strings, front row first: '.' free seat, 'x' taken seat, ' ' gap, 'W' wheelchair,
    'C' companion. Ids are (y, x) pairs so that a choice reads as positions. Returns (seats, taken)."""
    kinds = {".": SEAT, "x": SEAT, "W": WHEELCHAIR, "C": COMPANION}
    seats, taken = [], set()
    for y, row in enumerate(rows):
        for x, cell in enumerate(row):
            if cell == " ":
                continue
            seats.append(HallSeat((y, x), x, y, kinds[cell], "standard"))
            if cell == "x":
                taken.add((y, x))
    return seats, taken


def choose(rows, n):
    seats, taken = hall(*rows)
    return best_seats(seats, taken, n)


def test_an_empty_hall_gives_the_middle_of_the_row_two_thirds_back():
    rows = ["." * 10] * 5  # rows 0..4: two thirds back is row 2.67, so row 3
    assert choose(rows, 2) == Choice(((3, 4), (3, 5)), 10)
    assert choose(rows, 3).seats == ((3, 3), (3, 4), (3, 5))  # odd block in an even row: left of middle first


def test_seats_are_side_by_side_never_across_an_aisle():
    # Four free seats in the row, but an aisle splits them 2 + 2: three together do not fit there.
    rows = ["xxxxxxxx", "xx.. ..x", "xxxxxxxx"]
    assert choose(rows, 3) == Choice((), 2)
    assert choose(rows, 2).seats == ((1, 2), (1, 3))  # nearer the middle (column 3.5) than 5-6


def test_wheelchair_and_companion_seats_are_never_chosen():
    # The middle of the best row is a wheelchair space with its companion: the pair goes beside it.
    rows = ["........", "xxxx.xxx", "...WC...", "xxxxxxxx"]
    choice = choose(rows, 2)
    assert choice.seats == ((2, 1), (2, 2))
    assert choose(["xWCx"], 1) == Choice((), 0)


def test_a_single_seat_is_not_stranded_when_another_choice_in_the_row_avoids_it():
    # x=0 taken, 1..5 free. The middle pair (2,3) would leave seat 1 alone against the taken
    # seat; (3,4) would leave 5 alone against the wall. (1,2) leaves 3-5 together.
    assert choose(["x....."], 2).seats == ((0, 1), (0, 2))


def test_a_single_seat_is_left_when_every_choice_in_the_row_leaves_one():
    # Three free seats, two wanted: whichever pair, one seat stays alone.
    assert choose(["x...x"], 2).seats in {((0, 1), (0, 2)), ((0, 2), (0, 3))}


def test_a_nearer_row_wins_over_a_further_one_without_stranding():
    # The contract's stranding rule is within a row: row 1 (nearest two thirds back of 0..2
    # is 1.33) is chosen even though its only pair strands a seat.
    rows = ["......", "x...xx", "......"]
    assert choose(rows, 2).seats[0][0] == 1


def test_largest_is_the_biggest_free_block_when_nothing_fits():
    rows = ["x..x...x", "..x.x..."]
    assert choose(rows, 4) == Choice((), 3)
    assert choose([".x.x."], 2) == Choice((), 1)


def test_plain_tuples_are_accepted():
    seats = [(10, 0, 0, "seat", "standard"), (11, 1, 0, "seat", "standard"), (12, 2, 0, "seat", "premium")]
    assert best_seats(seats, {10}, 2) == Choice((11, 12), 2)


def test_a_companion_seat_needs_the_wheelchair_space_beside_it_in_the_same_choice():
    seats, _ = hall("WC..CW", "W C...")
    assert companions_without_wheelchair(seats, [(0, 1), (0, 2)]) == [(0, 1)]
    assert companions_without_wheelchair(seats, [(0, 0), (0, 1), (0, 4), (0, 5)]) == []
    assert companions_without_wheelchair(seats, [(0, 0), (0, 4)]) == [(0, 4)]  # the wrong wheelchair space
    assert companions_without_wheelchair(seats, [(1, 0), (1, 2)]) == [(1, 2)]  # a gap is not "beside"
    assert companions_without_wheelchair(seats, [(0, 2), (0, 3)]) == []  # ordinary seats only


# --- properties over random halls -----------------------------------------------------------------

ROW = st.text(alphabet=". x WC", min_size=1, max_size=14)
HALLS = st.lists(ROW, min_size=1, max_size=7)


def windows(seats, taken, n):
    """Every valid choice: n free ordinary seats with adjacent x in one row (brute force)."""
    by_place = {(s.y, s.x): s for s in seats}
    found = []
    for s in seats:
        block = [by_place.get((s.y, s.x + i)) for i in range(n)]
        if all(b is not None and b.kind == SEAT and b.id not in taken for b in block):
            found.append(block)
    return found


def strands(block, seats, taken):
    """True when the block leaves exactly one free ordinary seat alone on either side of it."""
    by_place = {(s.y, s.x): s for s in seats}

    def free(y, x):
        s = by_place.get((y, x))
        return s is not None and s.kind == SEAT and s.id not in taken

    y, left, right = block[0].y, block[0].x, block[-1].x
    return (free(y, left - 1) and not free(y, left - 2)) or (free(y, right + 1) and not free(y, right + 2))


@settings(max_examples=400, deadline=None)
@given(rows=HALLS, n=st.integers(min_value=1, max_value=6))
def test_choices_are_adjacent_ordinary_free_seats_in_one_row_or_none_exists(rows, n):
    seats, taken = hall(*rows)
    choice = best_seats(seats, taken, n)
    valid = windows(seats, taken, n)
    if not valid:
        assert choice.seats == ()
        assert choice.largest < n
        return
    assert len(choice.seats) == n
    chosen = [next(s for s in seats if s.id == pk) for pk in choice.seats]
    assert len({s.y for s in chosen}) == 1
    assert [s.x for s in chosen] == list(range(chosen[0].x, chosen[0].x + n))
    assert all(s.kind == SEAT and s.id not in taken for s in chosen)
    assert choice.largest >= n


@settings(max_examples=400, deadline=None)
@given(rows=HALLS, n=st.integers(min_value=1, max_value=6))
def test_never_strands_a_single_seat_when_the_row_offers_a_choice_that_does_not(rows, n):
    seats, taken = hall(*rows)
    choice = best_seats(seats, taken, n)
    if not choice.seats:
        return
    chosen = [next(s for s in seats if s.id == pk) for pk in choice.seats]
    if strands(chosen, seats, taken):
        same_row = [w for w in windows(seats, taken, n) if w[0].y == chosen[0].y]
        assert all(strands(w, seats, taken) for w in same_row)


@settings(max_examples=300, deadline=None)
@given(rows=HALLS)
def test_largest_is_the_longest_run_of_free_ordinary_seats(rows):
    seats, taken = hall(*rows)
    longest = max((n for n in range(1, 15) if windows(seats, taken, n)), default=0)
    assert best_seats(seats, taken, 99).largest == longest
