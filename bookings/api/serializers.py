"""Booking representations of the contract. Money is a decimal string in the booking's currency."""

from rest_framework import serializers

from bookings.api.payment_serializers import tickets_of
from core.money import amount_string as format_money

HOLD_MAX_LIST = 500  # a bound on the body's list; the service's own limit is MAX_SEATS_PER_BOOKING


class HoldRequestSerializer(serializers.Serializer):
    """POST /api/v1/bookings/: the rules on the seat list (empty, duplicated, too many…) are the service's."""

    showtime = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=HOLD_MAX_LIST)


def hold_request(data):
    """(showtime id, seat ids) of a hold request. A body of plain positive ints, the common case,
    is taken as it is (HoldRequestSerializer would accept it unchanged); anything else goes
    through the serializer, so that a malformed body gets its exact 400."""
    if type(data) is dict:
        showtime, seats = data.get("showtime"), data.get("seats")
        if (
            type(showtime) is int
            and showtime >= 1
            and type(seats) is list
            and len(seats) <= HOLD_MAX_LIST
            and all(type(seat) is int and seat >= 1 for seat in seats)
        ):
            return showtime, seats
    request = HoldRequestSerializer(data=data)
    request.is_valid(raise_exception=True)
    return request.validated_data["showtime"], request.validated_data["seats"]


class BookingSerializer(serializers.Serializer):
    """A booking as the contract shows it. A plain Serializer (not a ModelSerializer): it is on the
    hot path of every hold, and declared fields cost a fraction of model introspection."""

    id = serializers.UUIDField(read_only=True)
    reference = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    showtime = serializers.IntegerField(source="showtime_id", read_only=True)
    seats = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    currency = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    paid_at = serializers.DateTimeField(read_only=True)
    cancelled_at = serializers.DateTimeField(read_only=True)
    refund_amount = serializers.SerializerMethodField()
    refund_status = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    class Meta:
        # The declared fields above are what is shown; this list names them for subclasses' Meta.
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

    def get_seats(self, booking) -> list[dict]:
        held = getattr(booking, "seats_held", None)  # set by hold_seats: no query on the 201
        if held is not None:
            return held
        return [{"id": bs.seat_id, "label": bs.seat.label} for bs in booking.booking_seats.all()]

    def get_total(self, booking) -> str:
        return format_money(booking.total, booking.currency)

    def get_refund_amount(self, booking) -> str | None:
        return format_money(booking.refund_amount, booking.currency)


class BookingDetailSerializer(BookingSerializer):
    """GET /api/v1/bookings/{id}/: the booking plus `tickets` ([{"id", "seat", "code", "qr_url"}],
    filled by payments for a paid booking; empty otherwise). The view passes the request in the
    context for absolute `qr_url`s."""

    tickets = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = BookingSerializer.Meta.fields + ["tickets"]

    def get_tickets(self, booking) -> list[dict]:

        return tickets_of(booking, self.context)


class CancelResultSerializer(serializers.Serializer):
    status = serializers.CharField()
    refund_amount = serializers.CharField()
