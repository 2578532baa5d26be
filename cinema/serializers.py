"""Catalogue representations of the contract (money as a decimal string in the showtime's currency)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import amount_string
from . import posters
from .models import Auditorium, Movie, Showtime
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
    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS, write_only=True)
    seats_per_row = serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW, write_only=True)
    seat_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Auditorium
        fields = ["id", "name", "seat_count", "rows", "seats_per_row"]

    def create(self, validated_data):
        return create_auditorium(**validated_data)


class ShowtimeSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=14, decimal_places=None, coerce_to_string=True)
    currency = serializers.CharField(max_length=3, min_length=3, required=False)

    class Meta:
        model = Showtime
        fields = ["id", "movie", "auditorium", "starts_at", "ends_at", "price", "currency"]
        read_only_fields = ["ends_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["price"] = amount_string(instance.price, instance.currency)
        return data

    def create(self, validated_data):
        try:
            return schedule_showtime(**validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc))


class ShowtimeQuerySerializer(serializers.Serializer):
    # Ids are 64-bit (BigAutoField): a larger number is a 400 here, not an OverflowError in SQLite.
    movie = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
