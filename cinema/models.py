"""The catalogue: movies, auditoriums with their seat grids, and showtimes."""

from django.conf import settings
from django.db import models


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
    rows = models.PositiveIntegerField()
    seats_per_row = models.PositiveIntegerField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def seat_count(self):
        return self.rows * self.seats_per_row


class Seat(models.Model):
    auditorium = models.ForeignKey(Auditorium, on_delete=models.CASCADE, related_name="seats")
    row = models.CharField(max_length=3)
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=8)
    # Row position (0 for A) so that AA sorts after Z.
    row_index = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["auditorium", "row_index", "number"]
        constraints = [
            models.UniqueConstraint(fields=["auditorium", "row", "number"], name="uniq_seat_position"),
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
