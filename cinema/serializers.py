"""Catalogue representations of the contract (money as a decimal string in the showtime's currency)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import amount_string
from . import posters
from .layouts import CATEGORY_RE, parse_layout
from .models import Auditorium, Movie, Showtime, TicketType
from .pricing import PriceList
from .services import MAX_ROWS, MAX_SEATS_PER_ROW, create_auditorium, create_movie, schedule_showtime


class PosterSizesSerializer(serializers.Serializer):
    thumb = serializers.URLField(allow_null=True)
    card = serializers.URLField(allow_null=True)
    large = serializers.URLField(allow_null=True)


class PosterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["processing", "ready", "failed"])
    error = serializers.CharField(allow_blank=True)
    sizes = PosterSizesSerializer()


class MovieSerializer(serializers.ModelSerializer):
    runtime_minutes = serializers.IntegerField(min_value=1, max_value=1000)
    poster = serializers.SerializerMethodField()

    class Meta:
        model = Movie
        fields = ["id", "title", "slug", "overview", "runtime_minutes", "release_date", "poster_url", "poster"]
        read_only_fields = ["slug"]

    def _absolute(self, url):
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request and url and url.startswith("/") else url

    @extend_schema_field(PosterSerializer(allow_null=True))
    def get_poster(self, movie):
        """An uploaded poster's state and WebP sizes; null when none was uploaded."""
        if not movie.poster_status:
            return None
        sizes = {key: self._absolute(url) for key, url in posters.size_urls(movie).items()}
        return {"status": movie.poster_status, "error": movie.poster_error, "sizes": sizes}

    def to_representation(self, movie):
        data = super().to_representation(movie)
        large = posters.size_urls(movie)["large"]
        if large:  # a processed poster wins over a URL given by hand
            data["poster_url"] = self._absolute(large)
        return data

    def create(self, validated_data):
        return create_movie(**validated_data)


class AuditoriumSerializer(serializers.ModelSerializer):
    """Created from a `layout` (cinema.layouts) or as a plain grid of `rows` x `seats_per_row`."""

    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS, write_only=True, required=False)
    seats_per_row = serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW, write_only=True, required=False)
    layout = serializers.JSONField(write_only=True, required=False)
    seat_count = serializers.IntegerField(read_only=True)
    categories = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Auditorium
        fields = ["id", "name", "seat_count", "categories", "rows", "seats_per_row", "layout"]

    def validate_layout(self, layout):
        try:
            parse_layout(layout)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code="invalid_layout")
        return layout

    def validate(self, data):
        grid = "rows" in data or "seats_per_row" in data
        if "layout" in data and grid:
            raise serializers.ValidationError("Give either a layout or rows and seats_per_row, not both.", code="invalid")
        if "layout" not in data and not ("rows" in data and "seats_per_row" in data):
            raise serializers.ValidationError("A layout, or rows and seats_per_row, is required.", code="required")
        return data

    def create(self, validated_data):
        return create_auditorium(**validated_data)


class TicketTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketType
        fields = ["code", "name", "check_id"]


class PriceInputSerializer(serializers.Serializer):
    ticket_type = serializers.SlugRelatedField(slug_field="code", queryset=TicketType.objects.all())
    category = serializers.RegexField(CATEGORY_RE, required=False, allow_blank=True, max_length=20)
    price = serializers.DecimalField(max_digits=14, decimal_places=None)


class ShowtimeSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=14, decimal_places=None, coerce_to_string=True)
    currency = serializers.CharField(max_length=3, min_length=3, required=False)
    prices = PriceInputSerializer(many=True, required=False, write_only=True, max_length=200)

    class Meta:
        model = Showtime
        fields = ["id", "movie", "auditorium", "starts_at", "ends_at", "price", "currency", "prices"]
        read_only_fields = ["ends_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["price"] = amount_string(instance.price, instance.currency)
        if self.context.get("with_prices"):
            data["prices"] = resolved_prices(instance)
        return data

    def create(self, validated_data):
        try:
            return schedule_showtime(**validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc))


class ShowtimeQuerySerializer(serializers.Serializer):
    # Ids are 64-bit (BigAutoField): a larger number is a 400 here, not an OverflowError in SQLite.
    movie = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)



def resolved_prices(showtime, ticket_types=None):
    """[{"ticket_type", "category", "price"}]: what each ticket type costs in each seat
    category of the showtime's hall, as cinema.pricing resolves it (types not on sale left out)."""
    codes = ticket_types if ticket_types is not None else TicketType.objects.values_list("code", flat=True)
    prices = PriceList.of(showtime)
    return [
        {"ticket_type": code, "category": category, "price": amount_string(price, showtime.currency)}
        for code, category, price in prices.resolved(list(codes), showtime.auditorium.categories)
    ]
