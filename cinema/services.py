"""Operations on the catalogue: one transaction each."""

import string
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.money import has_valid_precision, is_known_currency, price_decimals

from .models import Auditorium, Movie, Seat, Showtime

MAX_ROWS = 40
MAX_SEATS_PER_ROW = 60


def row_letters(index):
    """0 -> A, 25 -> Z, 26 -> AA: rows beyond Z keep sorting after it."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rem] + letters
    return letters


@transaction.atomic
def create_auditorium(*, name, rows, seats_per_row):
    """The auditorium and its seat grid: rows A, B, …; seats numbered from 1."""
    auditorium = Auditorium.objects.create(name=name, rows=rows, seats_per_row=seats_per_row)
    seats = []
    for r in range(rows):
        row = row_letters(r)
        for number in range(1, seats_per_row + 1):
            seats.append(
                Seat(auditorium=auditorium, row=row, row_index=r, number=number, label=f"{row}{number}")
            )
    Seat.objects.bulk_create(seats, batch_size=1000)
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


def validate_showtime(*, movie, auditorium, starts_at, price, currency, exclude_id=None):
    """Raise ValidationError (by field) for a start in the past, a bad price or currency, or an overlap.

    Returns (normalised price, lower-case currency, ends_at). The overlap check here is advisory;
    `schedule_showtime` repeats it under the auditorium's row lock."""
    errors = {}
    currency = (currency or settings.DEFAULT_CURRENCY).strip().lower()
    if not is_known_currency(currency):
        errors["currency"] = ValidationError(f"Unknown currency '{currency}' (ISO 4217 code).", code="invalid_currency")
    try:
        price = Decimal(str(price))
        if not price.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["price"] = ValidationError("A decimal amount is required.", code="invalid")
        price = None
    if price is not None:
        if price < 0:
            errors["price"] = ValidationError("The price cannot be negative.", code="invalid_price")
        elif price >= Decimal("1e10"):
            errors["price"] = ValidationError("The price is too large.", code="invalid_price")
        elif "currency" not in errors and not has_valid_precision(price, currency):
            n = price_decimals(currency)
            errors["price"] = ValidationError(
                f"A price in {currency} may have at most {n} decimal place{'s' if n != 1 else ''}.",
                code="invalid_price",
            )
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


def schedule_showtime(*, movie, auditorium, starts_at, price, currency=None):
    """Create a showtime that overlaps no other in its auditorium (runtime + cleaning buffer).

    Race-safe: the auditorium row is locked for the check and the insert, so two staff
    members scheduling the same slot at once get one showtime and one 400."""
    with transaction.atomic():
        lock_auditorium(auditorium)
        price, currency, ends_at = validate_showtime(
            movie=movie, auditorium=auditorium, starts_at=starts_at, price=price, currency=currency
        )
        return Showtime.objects.create(
            movie=movie, auditorium=auditorium, starts_at=starts_at, ends_at=ends_at, price=price, currency=currency
        )
