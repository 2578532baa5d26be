"""Staff screens of the catalogue. A showtime shows its occupancy (sold, held, free) in the list and on its page;
an auditorium is drawn from a pasted or uploaded layout, with a preview; price cards are applied to many showtimes."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import posters
from .layouts import grid_layout, hall_rows, layout_of, parse_layout
from .models import Auditorium, Movie, PriceCard, PriceCardPrice, Seat, Showtime, ShowtimePrice, TicketType
from .services import (
    MAX_ROWS,
    MAX_SEATS_PER_ROW,
    apply_price_card,
    change_layout,
    check_layout_change,
    create_auditorium,
    lock_auditorium,
    showtime_end,
    validate_prices,
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


CATEGORY_COLOURS = ["#e3ecfb", "#fbd99a", "#f6c6dc", "#cdebc9", "#ddd0f5", "#fff1a8"]


def hall_preview(seats):
    """HTML drawing of a hall (SeatSpecs or Seats): aisles as gaps, categories by colour, symbols."""
    seats = list(seats)
    categories = list(dict.fromkeys(seat.category for seat in seats))
    colours = {c: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, c in enumerate(categories)}
    rows = [
        (label, [cell and {"label": cell.label, "number": cell.number, "kind": cell.kind, "category": cell.category,
                           "colour": colours[cell.category]} for cell in cells])
        for label, cells in hall_rows(seats)
    ]
    width = max((len(cells) for _, cells in rows), default=0)
    return render_to_string("admin/cinema/hall_preview.html", {
        "rows": rows, "legend": list(colours.items()), "seat_count": len(seats), "width_em": width * 1.8 + 2,
    })


def layout_text(layout):
    """A layout as JSON with one row per line: short enough to read and edit in a textarea."""
    return '{"rows": [\n  ' + ",\n  ".join(json.dumps(row) for row in layout["rows"]) + "\n]}"


class LayoutWidget(forms.Textarea):
    """The layout's JSON, with the hall it draws underneath whenever the text is a valid layout."""

    def __init__(self):
        super().__init__(attrs={"rows": 12, "cols": 100, "style": "font-family:monospace"})

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        try:
            drawn = hall_preview(parse_layout(json.loads(value)).seats) if value else ""
        except (ValueError, TypeError, ValidationError):
            drawn = ""
        return mark_safe(html + drawn)


class AuditoriumForm(forms.ModelForm):
    """Draw the hall from a layout (pasted, or uploaded as a .json file) or, when adding, as a plain
    grid. "Preview" shows the drawing and saves nothing. Redrawing a hall with held or sold seats
    of an upcoming showtime is refused (cinema.services.check_layout_change)."""

    rows = forms.IntegerField(min_value=1, max_value=MAX_ROWS, required=False, help_text="plain grid: rows")
    seats_per_row = forms.IntegerField(
        min_value=1, max_value=MAX_SEATS_PER_ROW, required=False, help_text="plain grid: seats per row"
    )
    layout = forms.CharField(
        widget=LayoutWidget(), required=False,
        help_text='{"rows": [{"label": "A", "category": "standard", "seats": [1, 2, null, 3, '
                  '{"number": 4, "kind": "wheelchair"}, {"number": 5, "kind": "companion"}]}]}: '
                  "null is an aisle; kinds seat, wheelchair, companion; categories are short slugs.",
    )
    layout_file = forms.FileField(required=False, help_text="or upload the layout as a JSON file")

    class Meta:
        model = Auditorium
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed = None  # the layout dict to save, when it changes
        if self.instance.pk:
            self.current = layout_of(self.instance.seats.all())
            self.initial.setdefault("layout", layout_text(self.current))

    def clean(self):
        data = super().clean()
        upload = data.get("layout_file")
        text = data.get("layout") or ""
        if upload:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError({"layout_file": "The file is not UTF-8 text."})
            self.data = self.data.copy()
            self.data["layout"] = text  # shown, and drawn, in the textarea
        if text.strip():
            try:
                layout = json.loads(text)
            except ValueError as exc:
                raise ValidationError({"layout": f"Not JSON: {exc}"})
            try:
                parsed = parse_layout(layout)
            except ValidationError as exc:
                raise ValidationError({"layout": exc.messages})
            if self.instance.pk is None or parsed.seats != parse_layout(self.current).seats:
                self.parsed = layout
        elif self.instance.pk is None:
            if not (data.get("rows") and data.get("seats_per_row")):
                raise ValidationError("Paste or upload a layout, or give rows and seats per row.")
            self.parsed = grid_layout(data["rows"], data["seats_per_row"])
            parsed = parse_layout(self.parsed)
        if self.instance.pk is not None and self.parsed is not None:
            lock_auditorium(self.instance)  # held until the admin's transaction saves
            try:
                check_layout_change(self.instance, parse_layout(self.parsed))
            except ValidationError as exc:
                raise ValidationError({"layout": exc.messages})
        if "_preview" in self.data:
            raise ValidationError("Preview only: the hall is drawn below the layout; nothing is saved until you press Save.")
        return data


@admin.register(Auditorium)
class AuditoriumAdmin(admin.ModelAdmin):
    """Made from a layout or a plain grid; redrawn by editing its layout (see AuditoriumForm)."""

    form = AuditoriumForm
    list_display = ["name", "seat_count", "categories", "rows", "seats_per_row"]
    search_fields = ["name"]
    change_form_template = "admin/cinema/auditorium_change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return ["seat_count", "categories"] if obj else []

    def get_fields(self, request, obj=None):
        if obj:
            return ["name", "seat_count", "categories", "layout", "layout_file"]
        return ["name", "layout", "layout_file", "rows", "seats_per_row"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            if form.parsed is not None:
                change_layout(obj, form.parsed)
            return
        created = create_auditorium(name=obj.name, layout=form.parsed)
        obj.pk = created.pk

@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["label", "auditorium", "row", "number", "kind", "category", "x", "y"]
    list_filter = ["auditorium", "kind", "category"]
    search_fields = ["label", "auditorium__name"]
    list_select_related = ["auditorium"]

    def has_add_permission(self, request):
        return False  # seats come with their auditorium's layout

    def has_change_permission(self, request, obj=None):
        return False  # redraw the auditorium's layout instead


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
    ).annotate(free=F("auditorium__seat_count") - F("sold") - F("held"))


class PriceRowsFormSet(forms.BaseInlineFormSet):
    """A showtime's price rows obey validate_prices in the showtime's currency (no 9.50 in vnd)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            (f.cleaned_data["ticket_type"], f.cleaned_data.get("category") or "", f.cleaned_data["price"])
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("ticket_type")
        ]
        try:
            validate_prices(rows, (self.instance.currency or "").lower())
        except ValidationError as exc:
            raise ValidationError(exc.messages)


class ShowtimePriceInline(admin.TabularInline):
    model = ShowtimePrice
    formset = PriceRowsFormSet
    fields = ["ticket_type", "category", "price"]
    extra = 0


def price_card_action(card_id, card_name):
    """The admin action that gives the selected showtimes the prices of one price card."""

    def apply(modeladmin, request, queryset):
        card = PriceCard.objects.get(pk=card_id)
        applied, refused = apply_price_card(card, queryset)
        modeladmin.message_user(request, f"Price card “{card.name}” applied to {len(applied)} showtime(s).")
        if refused:
            modeladmin.message_user(
                request,
                f"{len(refused)} showtime(s) kept their prices: their currency cannot carry the card's amounts "
                f"({', '.join(str(s.pk) for s in refused)}).",
                level=messages.WARNING,
            )

    apply.__name__ = f"apply_price_card_{card_id}"
    return apply, apply.__name__, f"Apply price card “{card_name}”"


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    form = ShowtimeForm
    inlines = [ShowtimePriceInline]
    list_display = ["movie", "auditorium", "starts_at", "price", "currency", "sold", "held", "free"]
    list_filter = ["auditorium", "movie", "currency", "starts_at"]
    search_fields = ["movie__title", "auditorium__name"]
    list_select_related = ["movie", "auditorium"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["movie", "auditorium"]
    readonly_fields = ["ends_at", "occupancy"]

    def get_queryset(self, request):
        return with_occupancy(super().get_queryset(request), timezone.now())

    def get_actions(self, request):
        """One "Apply price card" action per card, so staff pick the card from the action menu."""
        actions = super().get_actions(request)
        for card_id, name in PriceCard.objects.values_list("pk", "name"):
            action = price_card_action(card_id, name)
            actions[action[1]] = action
        return actions

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


class PriceCardPriceInline(admin.TabularInline):
    model = PriceCardPrice
    fields = ["ticket_type", "category", "price"]
    extra = 4


@admin.register(PriceCard)
class PriceCardAdmin(admin.ModelAdmin):
    """A named price list; apply it to showtimes from the showtime list's actions."""

    list_display = ["name", "prices_summary", "created_at"]
    search_fields = ["name"]
    inlines = [PriceCardPriceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices__ticket_type")

    @admin.display(description="prices")
    def prices_summary(self, card):
        return ", ".join(f"{p.ticket_type.code}/{p.category or '*'} {p.price}" for p in card.prices.all())


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "check_id", "position"]
    list_editable = ["name", "check_id", "position"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []  # prices and tickets refer to it by code
