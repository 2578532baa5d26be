"""Catalogue representations of the contract (money as a decimal string in the showtime's currency)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.money import amount_string
from .models import Auditorium, Movie, Showtime
from .services import MAX_ROWS, MAX_SEATS_PER_ROW, create_auditorium, create_movie, schedule_showtime


class MovieSerializer(serializers.ModelSerializer):
    runtime_minutes = serializers.IntegerField(min_value=1, max_value=1000)

    class Meta:
        model = Movie
        fields = ["id", "title", "slug", "overview", "runtime_minutes", "release_date", "poster_url"]
        read_only_fields = ["slug"]

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
    movie = serializers.IntegerField(required=False, min_value=1)
