"""Staff screens of the catalogue. A showtime shows its occupancy (sold, held, free) in the list and on its page."""

from django import forms
from django.contrib import admin
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.html import format_html

from . import posters
from .models import Auditorium, Movie, Seat, Showtime
from .services import (
    MAX_ROWS,
    MAX_SEATS_PER_ROW,
    create_auditorium,
    lock_auditorium,
    showtime_end,
    validate_showtime,
)


class MovieForm(forms.ModelForm):
    """The model's fields plus a poster upload, checked like the API's (nothing kept when refused)."""

    poster_url = forms.URLField(required=False, assume_scheme="https", label="Poster URL")
    poster_image = forms.FileField(
        required=False, label="Upload a poster",
        help_text="JPEG, PNG or WebP, at most 20 MB and 40 megapixels; a worker makes the sizes.",
    )

    class Meta:
        model = Movie
        fields = "__all__"

    def clean_poster_image(self):
        image = self.cleaned_data.get("poster_image")
        if image:
            try:
                posters.check_upload(image)
            except posters.PosterRejected as exc:
                raise forms.ValidationError(exc.detail, code=exc.code) from None
        return image


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieForm
    list_display = ["title", "runtime_minutes", "release_date", "upcoming_showtimes", "poster_status", "created_at"]
    list_filter = ["release_date", "poster_status"]
    search_fields = ["title", "slug", "overview"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "release_date"
    readonly_fields = ["poster_preview", "poster_status", "poster_error"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        image = form.cleaned_data.get("poster_image")
        if image:
            posters.set_poster(obj, image)

    @admin.display(description="poster")
    def poster_preview(self, movie):
        thumb = (movie.poster_sizes or {}).get("thumb")
        if not thumb:
            return "—"
        return format_html('<img src="{}" width="{}" height="{}" alt="">',
                           posters.size_urls(movie)["thumb"], thumb["width"], thumb["height"])

    def get_queryset(self, request):
        upcoming = Count("showtimes", filter=Q(showtimes__starts_at__gt=timezone.now()))
        return super().get_queryset(request).annotate(upcoming=upcoming)

    @admin.display(description="upcoming showtimes", ordering="upcoming")
    def upcoming_showtimes(self, movie):
        return movie.upcoming


class AuditoriumForm(forms.ModelForm):
    rows = forms.IntegerField(min_value=1, max_value=MAX_ROWS)
    seats_per_row = forms.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW)

    class Meta:
        model = Auditorium
        fields = ["name", "rows", "seats_per_row"]


@admin.register(Auditorium)
class AuditoriumAdmin(admin.ModelAdmin):
    """The grid is made once, with the auditorium; its size is read-only afterwards."""

    form = AuditoriumForm
    list_display = ["name", "rows", "seats_per_row", "seat_count"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        return ["rows", "seats_per_row", "seat_count"] if obj else []

    def get_fields(self, request, obj=None):
        return ["name", "rows", "seats_per_row", "seat_count"] if obj else ["name", "rows", "seats_per_row"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = create_auditorium(name=obj.name, rows=obj.rows, seats_per_row=obj.seats_per_row)
        obj.pk = created.pk

    @admin.display(description="seats")
    def seat_count(self, auditorium):
        return auditorium.seat_count


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["label", "auditorium", "row", "number"]
    list_filter = ["auditorium"]
    search_fields = ["label", "auditorium__name"]
    list_select_related = ["auditorium"]

    def has_add_permission(self, request):
        return False  # seats come with their auditorium's grid


class ShowtimeForm(forms.ModelForm):
    """Runs the scheduling rules of cinema.services (overlap with cleaning buffer, past start, price precision).

    The admin saves inside the transaction that runs `clean`, so the auditorium lock taken here
    holds until the showtime is saved: as race-safe as the API's schedule_showtime."""

    class Meta:
        model = Showtime
        fields = ["movie", "auditorium", "starts_at", "price", "currency"]

    def clean(self):
        data = super().clean()
        if self.errors or not all(data.get(k) is not None for k in ("movie", "auditorium", "starts_at", "price")):
            return data
        if self.instance.pk and data["auditorium"].pk != self.instance.auditorium_id and (
            self.instance.booking_seats.exists()
        ):
            raise forms.ValidationError(
                {"auditorium": "Seats of this showtime are booked: it cannot move to another auditorium."}
            )
        lock_auditorium(data["auditorium"])
        price, currency, ends_at = validate_showtime(
            movie=data["movie"],
            auditorium=data["auditorium"],
            starts_at=data["starts_at"],
            price=data["price"],
            currency=data.get("currency"),
            exclude_id=self.instance.pk,
        )
        data["currency"] = currency
        self.instance.ends_at = ends_at
        return data


def with_occupancy(showtimes, now):
    """Annotate sold / held / free counts (a hold past its expiry counts as free)."""
    active = Q(booking_seats__active=True)
    return showtimes.annotate(
        sold=Count("booking_seats", filter=active & Q(booking_seats__expires_at__isnull=True)),
        held=Count("booking_seats", filter=active & Q(booking_seats__expires_at__gt=now)),
    ).annotate(free=F("auditorium__rows") * F("auditorium__seats_per_row") - F("sold") - F("held"))


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    form = ShowtimeForm
    list_display = ["movie", "auditorium", "starts_at", "price", "currency", "sold", "held", "free"]
    list_filter = ["auditorium", "movie", "currency", "starts_at"]
    search_fields = ["movie__title", "auditorium__name"]
    list_select_related = ["movie", "auditorium"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["movie", "auditorium"]
    readonly_fields = ["ends_at", "occupancy"]

    def get_queryset(self, request):
        return with_occupancy(super().get_queryset(request), timezone.now())

    def save_model(self, request, obj, form, change):
        obj.ends_at = showtime_end(obj.movie, obj.starts_at)
        super().save_model(request, obj, form, change)

    @admin.display(ordering="sold")
    def sold(self, showtime):
        return showtime.sold

    @admin.display(ordering="held")
    def held(self, showtime):
        return showtime.held

    @admin.display(ordering="free")
    def free(self, showtime):
        return showtime.free

    @admin.display(description="occupancy")
    def occupancy(self, showtime):
        if showtime.pk is None:
            return "—"
        return f"sold {showtime.sold} · held {showtime.held} · free {showtime.free}"
