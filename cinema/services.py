"""Operations on the catalogue: one transaction each."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.money import has_valid_precision, is_known_currency, price_decimals

from .layouts import MAX_ROWS, MAX_SEATS_PER_ROW, grid_layout, parse_layout, row_letters  # noqa: F401
from .models import Auditorium, Movie, Seat, Showtime, ShowtimePrice


def _seat(auditorium, spec):
    return Seat(
        auditorium=auditorium, row=spec.row, number=spec.number, label=spec.label, row_index=spec.y,
        kind=spec.kind, category=spec.category, x=spec.x, y=spec.y,
    )


@transaction.atomic
def create_auditorium(*, name, rows=None, seats_per_row=None, layout=None):
    """The auditorium and its seats, from a layout (cinema.layouts) or as a plain grid of
    `rows` x `seats_per_row` (rows A, B, …; seats numbered from 1; all standard).
    A malformed layout raises LayoutError before anything is written."""
    parsed = parse_layout(layout if layout is not None else grid_layout(rows, seats_per_row))
    auditorium = Auditorium.objects.create(
        name=name, rows=parsed.rows, seats_per_row=parsed.width, seat_count=len(parsed.seats),
        categories=parsed.categories,
    )
    Seat.objects.bulk_create([_seat(auditorium, spec) for spec in parsed.seats], batch_size=1000)
    return auditorium


def upcoming_showtimes_with_taken_seats(auditorium, now=None):
    """Showtimes of the hall, not yet over, where a seat is held or sold. Read through the
    reverse name `booking_seats` that bookings gives showtimes (cinema imports no other app);
    a hold past its expiry still counts here: the layout is not worth a race with the sweeper."""
    now = now or timezone.now()
    return Showtime.objects.filter(
        auditorium=auditorium, ends_at__gt=now, booking_seats__active=True
    ).distinct()


class LayoutLocked(ValidationError):
    pass


def check_layout_change(auditorium, parsed):
    """Raise LayoutLocked when the hall may not be redrawn as `parsed` now: an upcoming showtime
    has held or sold seats, or a seat to remove was ever booked (it stays on old tickets).
    Returns (existing seats by (row, number), wanted specs by (row, number))."""
    if upcoming_showtimes_with_taken_seats(auditorium).exists():
        raise LayoutLocked(
            "Seats of an upcoming showtime in this hall are sold or held: its layout cannot change now.",
            code="layout_locked",
        )
    existing = {(seat.row, seat.number): seat for seat in auditorium.seats.all()}
    wanted = {(spec.row, spec.number): spec for spec in parsed.seats}
    removed = [seat for key, seat in existing.items() if key not in wanted]
    booked = set(
        Showtime.objects.filter(auditorium=auditorium, booking_seats__seat__in=removed)
        .values_list("booking_seats__seat__label", flat=True)
    ) if removed else set()
    if booked:
        raise LayoutLocked(
            f"Seats {', '.join(sorted(booked))} were booked before and must stay in the layout.",
            code="layout_locked",
        )
    return existing, wanted


@transaction.atomic
def change_layout(auditorium, layout):
    """Redraw an existing hall (see check_layout_change for when it is refused). Seats keep their
    ids where (row, number) stays, so past tickets still point at them."""
    parsed = parse_layout(layout)
    lock_auditorium(auditorium)
    existing, wanted = check_layout_change(auditorium, parsed)
    removed = [seat.pk for key, seat in existing.items() if key not in wanted]
    Seat.objects.filter(pk__in=removed).delete()
    # Move kept seats out of the way first: (auditorium, y, x) is unique at every step.
    kept = [seat for key, seat in existing.items() if key in wanted]
    Seat.objects.filter(pk__in=[seat.pk for seat in kept]).update(y=models.F("y") + MAX_ROWS + 1)
    for seat in kept:
        spec = wanted[(seat.row, seat.number)]
        seat.kind, seat.category, seat.x, seat.y, seat.row_index = spec.kind, spec.category, spec.x, spec.y, spec.y
    Seat.objects.bulk_update(kept, ["kind", "category", "x", "y", "row_index"], batch_size=1000)
    new = [_seat(auditorium, spec) for key, spec in wanted.items() if key not in existing]
    Seat.objects.bulk_create(new, batch_size=1000)
    auditorium.rows, auditorium.seats_per_row = parsed.rows, parsed.width
    auditorium.seat_count, auditorium.categories = len(parsed.seats), parsed.categories
    auditorium.save(update_fields=["rows", "seats_per_row", "seat_count", "categories"])
    return auditorium


def unique_movie_slug(title):
    """slugify(title), with -2, -3… appended when another movie has it already."""
    base = (slugify(title) or "movie")[:200]
    slug, n = base, 1
    while Movie.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_movie(*, title, runtime_minutes, **fields):
    return Movie.objects.create(title=title, slug=unique_movie_slug(title), runtime_minutes=runtime_minutes, **fields)


def showtime_end(movie, starts_at):
    """The auditorium is busy for the runtime plus the cleaning buffer."""
    return starts_at + timedelta(minutes=movie.runtime_minutes + settings.SHOWTIME_CLEANING_MINUTES)


def overlapping_showtimes(auditorium, starts_at, ends_at, exclude_id=None):
    clash = Showtime.objects.filter(auditorium=auditorium, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    return clash


def clean_amount(value, currency):
    """`value` as a Decimal price: finite, not negative, below 1e10, and with no more decimals
    than `currency` allows (none for vnd, jpy…; skipped when currency is None). Else ValidationError."""
    try:
        price = Decimal(str(value))
        if not price.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError("A decimal amount is required.", code="invalid")
    if price < 0:
        raise ValidationError("The price cannot be negative.", code="invalid_price")
    if price >= Decimal("1e10"):
        raise ValidationError("The price is too large.", code="invalid_price")
    if currency is not None and not has_valid_precision(price, currency):
        n = price_decimals(currency)
        raise ValidationError(
            f"A price in {currency} may have at most {n} decimal place{'s' if n != 1 else ''}.",
            code="invalid_price",
        )
    return price


def validate_showtime(*, movie, auditorium, starts_at, price, currency, exclude_id=None):
    """Raise ValidationError (by field) for a start in the past, a bad price or currency, or an overlap.

    Returns (normalised price, lower-case currency, ends_at). The overlap check here is advisory;
    `schedule_showtime` repeats it under the auditorium's row lock."""
    errors = {}
    currency = (currency or settings.DEFAULT_CURRENCY).strip().lower()
    if not is_known_currency(currency):
        errors["currency"] = ValidationError(f"Unknown currency '{currency}' (ISO 4217 code).", code="invalid_currency")
    try:
        price = clean_amount(price, None if "currency" in errors else currency)
    except ValidationError as exc:
        errors["price"] = exc
        price = None
    try:
        ends_at = showtime_end(movie, starts_at)
    except OverflowError:
        ends_at = None
        errors["starts_at"] = ValidationError("That start is too far in the future.", code="invalid")
    if starts_at <= timezone.now():
        errors["starts_at"] = ValidationError("A showtime cannot start in the past.", code="in_the_past")
    if "starts_at" not in errors:
        clash = overlapping_showtimes(auditorium, starts_at, ends_at, exclude_id).select_related("movie").first()
        if clash is not None:
            errors["starts_at"] = ValidationError(
                f"{auditorium.name} is busy then: '{clash.movie.title}' runs from "
                f"{clash.starts_at:%Y-%m-%d %H:%M} to {clash.ends_at:%H:%M} (cleaning included).",
                code="overlap",
            )
    if errors:
        raise ValidationError(errors)
    return price, currency, ends_at


def lock_auditorium(auditorium):
    """Serialise scheduling in one auditorium until the transaction ends (the overlap check is
    a read, so two writers must not run it at once)."""
    Auditorium.objects.select_for_update().filter(pk=auditorium.pk).first()


def schedule_showtime(*, movie, auditorium, starts_at, price, currency=None, prices=()):
    """Create a showtime that overlaps no other in its auditorium (runtime + cleaning buffer),
    with its price rows (`prices`: see set_showtime_prices).

    Race-safe: the auditorium row is locked for the check and the insert, so two staff
    members scheduling the same slot at once get one showtime and one 400."""
    with transaction.atomic():
        lock_auditorium(auditorium)
        price, currency, ends_at = validate_showtime(
            movie=movie, auditorium=auditorium, starts_at=starts_at, price=price, currency=currency
        )
        prices = validate_prices(prices, currency)
        showtime = Showtime.objects.create(
            movie=movie, auditorium=auditorium, starts_at=starts_at, ends_at=ends_at, price=price, currency=currency
        )
        set_showtime_prices(showtime, prices)
        return showtime


def validate_prices(prices, currency):
    """[(TicketType, category or "", Decimal)] from dicts or tuples of (ticket_type, category,
    price); a pair given twice or an amount the currency cannot carry is a ValidationError
    naming the entry."""
    cleaned, seen = [], set()
    for index, entry in enumerate(prices):
        if isinstance(entry, dict):
            entry = (entry["ticket_type"], entry.get("category") or "", entry["price"])
        ticket_type, category, amount = entry
        category = category or ""
        if (ticket_type.pk, category) in seen:
            raise ValidationError(
                {"prices": ValidationError(
                    f"Entry {index + 1}: {ticket_type.code} in {category or 'any category'} is priced twice.",
                    code="duplicate_price",
                )}
            )
        seen.add((ticket_type.pk, category))
        try:
            amount = clean_amount(amount, currency)
        except ValidationError as exc:
            raise ValidationError({"prices": ValidationError(f"Entry {index + 1}: {exc.messages[0]}", code=exc.code)})
        cleaned.append((ticket_type, category, amount))
    return cleaned


@transaction.atomic
def set_showtime_prices(showtime, prices):
    """Replace the showtime's price rows by `prices` as returned by validate_prices."""
    showtime.prices.all().delete()
    ShowtimePrice.objects.bulk_create(
        ShowtimePrice(showtime=showtime, ticket_type=ticket_type, category=category, price=amount)
        for ticket_type, category, amount in prices
    )


def apply_price_card(card, showtimes):
    """Give each showtime the card's prices (replacing its own). Returns (applied, refused):
    a showtime whose currency cannot carry the card's amounts (9.50 in vnd) keeps its prices."""
    lines = [(p.ticket_type, p.category, p.price) for p in card.prices.select_related("ticket_type")]
    applied, refused = [], []
    for showtime in showtimes:
        try:
            with transaction.atomic():
                set_showtime_prices(showtime, validate_prices(lines, showtime.currency))
            applied.append(showtime)
        except ValidationError:
            refused.append(showtime)
    return applied, refused
