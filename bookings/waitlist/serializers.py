"""Waitlist representations of the contract."""

from rest_framework import serializers


class JoinRequestSerializer(serializers.Serializer):
    """POST /api/v1/showtimes/{id}/waitlist/: the upper bound (MAX_SEATS_PER_BOOKING) is the service's."""

    quantity = serializers.IntegerField(min_value=1, max_value=10_000)


class WaitlistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    showtime = serializers.IntegerField(source="showtime_id", read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True, allow_null=True, help_text="1 = next in line; null unless waiting")
    booking = serializers.UUIDField(source="booking_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
