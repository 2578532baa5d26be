"""Booking representations of the contract. Money is a decimal string in the booking's currency."""

from rest_framework import serializers

from cinema.currencies import format_money

from .models import Booking


class HoldRequestSerializer(serializers.Serializer):
    """POST /api/v1/bookings/: the rules on the seat list (empty, duplicated, too many…) are the service's."""

    showtime = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=500)


class BookingSerializer(serializers.ModelSerializer):
    showtime = serializers.PrimaryKeyRelatedField(read_only=True)
    seats = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    refund_amount = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "status",
            "showtime",
            "seats",
            "total",
            "currency",
            "expires_at",
            "paid_at",
            "cancelled_at",
            "refund_amount",
            "refund_status",
            "created_at",
        ]
        read_only_fields = fields

    def get_seats(self, booking) -> list[dict]:
        held = getattr(booking, "seats_held", None)  # set by hold_seats: no query on the 201
        if held is not None:
            return [{"id": seat.pk, "label": seat.label} for seat in held]
        return [{"id": bs.seat_id, "label": bs.seat.label} for bs in booking.booking_seats.all()]

    def get_total(self, booking) -> str:
        return format_money(booking.total, booking.currency)

    def get_refund_amount(self, booking) -> str | None:
        return format_money(booking.refund_amount, booking.currency)


class BookingDetailSerializer(BookingSerializer):
    """GET /api/v1/bookings/{id}/.

    PAYMENTS: add `tickets` here ([{"id", "seat", "code", "qr_url"}] for a paid booking) —
    a field on this class plus `fields = BookingSerializer.Meta.fields + ["tickets"]` in Meta.
    The view prefetches nothing for tickets yet: add `prefetch_related("tickets")` in
    bookings.views.BookingDetail.get_queryset when you do."""

    tickets = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = BookingSerializer.Meta.fields + ["tickets"]

    def get_tickets(self, booking) -> list[dict]:
        from .payment_serializers import tickets_of

        return tickets_of(booking, self.context)


class CancelResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    refund_amount = serializers.CharField()
