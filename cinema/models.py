"""The catalogue: movies, auditoriums with their seat layouts, showtimes, ticket types and prices."""

from django.conf import settings
from django.db import models

from . import layouts


class Movie(models.Model):
    class PosterStatus(models.TextChoices):
        NONE = "", "No poster"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    overview = models.TextField(blank=True)
    runtime_minutes = models.PositiveIntegerField()
    release_date = models.DateField(null=True, blank=True)
    poster_url = models.URLField(blank=True)
    # An uploaded poster (cinema.posters): the original as received, then the WebP sizes a worker
    # made from it, {"thumb"|"card"|"large": {"name", "width", "height"}}, and its average colour.
    poster_original = models.FileField(max_length=255, blank=True, editable=False)
    poster_status = models.CharField(max_length=16, choices=PosterStatus.choices, default="", blank=True, editable=False)
    poster_error = models.TextField(blank=True, editable=False)
    poster_sizes = models.JSONField(default=dict, blank=True, editable=False)
    poster_placeholder = models.CharField(max_length=7, blank=True, editable=False, help_text="#rrggbb")
    # When the sizes were last asked of a worker (upload, or the sweeper's re-enqueue).
    poster_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class Auditorium(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # The drawn hall: rows from the screen, and columns of its widest row (gaps included).
    rows = models.PositiveIntegerField()
    seats_per_row = models.PositiveIntegerField()
    # Seats, not rows x columns: a layout has aisles and gaps. Kept by cinema.services.
    seat_count = models.PositiveIntegerField(default=0)
    # The seat category slugs the hall uses, in layout order ("standard", "premium"…).
    categories = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Seat(models.Model):
    class Kind(models.TextChoices):
        SEAT = layouts.SEAT, "seat"
        WHEELCHAIR = layouts.WHEELCHAIR, "wheelchair space"
        COMPANION = layouts.COMPANION, "companion seat"

    auditorium = models.ForeignKey(Auditorium, on_delete=models.CASCADE, related_name="seats")
    row = models.CharField(max_length=3)
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=8)
    # Row position (0 for A) so that AA sorts after Z; always equal to `y`.
    row_index = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SEAT)
    category = models.CharField(max_length=20, default=layouts.STANDARD)
    # Where the seat is drawn: column from 0 (gaps included) and row from the screen.
    x = models.PositiveIntegerField(default=0)
    y = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["auditorium", "row_index", "number"]
        constraints = [
            models.UniqueConstraint(fields=["auditorium", "row", "number"], name="uniq_seat_position"),
            models.UniqueConstraint(fields=["auditorium", "y", "x"], name="uniq_seat_place"),
        ]

    def __str__(self):
        return f"{self.auditorium.name} {self.label}"


def default_currency():
    return settings.DEFAULT_CURRENCY


class Showtime(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.PROTECT, related_name="showtimes")
    auditorium = models.ForeignKey(Auditorium, on_delete=models.PROTECT, related_name="showtimes")
    starts_at = models.DateTimeField(db_index=True)
    # Start + runtime + cleaning buffer: the auditorium is busy until then.
    ends_at = models.DateTimeField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=default_currency)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["auditorium", "starts_at"], name="showtime_aud_start")]

    def __str__(self):
        return f"{self.movie.title} @ {self.starts_at:%Y-%m-%d %H:%M} ({self.auditorium.name})"


class TicketType(models.Model):
    """Adult, child, senior, student… (the first four come with `migrate`); staff add more.
    `check_id`: the door must ask for proof (a child's age, a student card)."""

    # (code, name, check_id, position): there after every `migrate` (cinema.apps).
    DEFAULTS = [("adult", "Adult", False, 10), ("child", "Child", True, 20), ("senior", "Senior", True, 30),
                ("student", "Student", True, 40)]

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    check_id = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0, help_text="order on the site and in lists")

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.name


class ShowtimePrice(models.Model):
    """One price of a showtime for a ticket type, in one seat category or (blank) any category.
    How a ticket's price is found from these rows is cinema.pricing's one rule."""

    showtime = models.ForeignKey(Showtime, on_delete=models.CASCADE, related_name="prices")
    ticket_type = models.ForeignKey(TicketType, to_field="code", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, blank=True, help_text="blank: any seat category")
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["showtime", "ticket_type__position", "category"]
        constraints = [
            models.UniqueConstraint(fields=["showtime", "ticket_type", "category"], name="uniq_showtime_price"),
        ]

    def __str__(self):
        return f"{self.ticket_type.code}/{self.category or '*'} {self.price}"


class PriceCard(models.Model):
    """A named price list staff apply to many showtimes at once (an admin action)."""

    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PriceCardPrice(models.Model):
    card = models.ForeignKey(PriceCard, on_delete=models.CASCADE, related_name="prices")
    ticket_type = models.ForeignKey(TicketType, to_field="code", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, blank=True, help_text="blank: any seat category")
    price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["card", "ticket_type__position", "category"]
        constraints = [
            models.UniqueConstraint(fields=["card", "ticket_type", "category"], name="uniq_price_card_price"),
        ]
