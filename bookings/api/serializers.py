"""Booking representations of the contract. Money is a decimal string in the booking's currency."""

from rest_framework import serializers

from bookings.api.payment_serializers import tickets_of
from core.money import amount_string as format_money

HOLD_MAX_LIST = 500  # a bound on the body's list; the service's own limit is MAX_SEATS_PER_BOOKING


class TicketRequestSerializer(serializers.Serializer):
    seat = serializers.IntegerField(min_value=1)
    ticket_type = serializers.SlugField(max_length=20)


class HoldRequestSerializer(serializers.Serializer):
    """POST /api/v1/bookings/: `seats` (adult tickets), `tickets` ([{seat, ticket_type}]) or
    `quantity` (the best seats side by side), exactly one. The rules on the seats (empty,
    duplicated, too many…) are the service's."""

    showtime = serializers.IntegerField(min_value=1)
    seats = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=HOLD_MAX_LIST, required=False)
    tickets = TicketRequestSerializer(many=True, allow_empty=True, max_length=HOLD_MAX_LIST, required=False)
    quantity = serializers.IntegerField(min_value=1, max_value=1000, required=False)

    def validate(self, data):
        given = [key for key in ("seats", "tickets", "quantity") if key in data]
        if len(given) != 1:
            raise serializers.ValidationError("Give one of seats, tickets or quantity.", code="invalid")
        return data


class HoldRequest:
    """What a hold request asks for: seat ids (adult), {seat: ticket type}, or a quantity."""

    def __init__(self, showtime, seats=None, tickets=None, quantity=None):
        self.showtime, self.seats, self.tickets, self.quantity = showtime, seats, tickets, quantity


def hold_request(data):
    """The HoldRequest of a request body. A body of plain positive ints, the common case, is
    taken as it is (HoldRequestSerializer would accept it unchanged); anything else goes through
    the serializer, so that a malformed body gets its exact 400."""
    if type(data) is dict and len(data) == 2:
        showtime, seats = data.get("showtime"), data.get("seats")
        if (
            type(showtime) is int
            and showtime >= 1
            and type(seats) is list
            and len(seats) <= HOLD_MAX_LIST
            and all(type(seat) is int and seat >= 1 for seat in seats)
        ):
            return HoldRequest(showtime, seats=seats)
    request = HoldRequestSerializer(data=data)
    request.is_valid(raise_exception=True)
    body = request.validated_data
    if "tickets" in body:
        tickets = body["tickets"]
        seat_ids = [t["seat"] for t in tickets]
        if len(set(seat_ids)) != len(seat_ids):
            return HoldRequest(body["showtime"], seats=seat_ids)  # the service names the duplicates
        return HoldRequest(body["showtime"], tickets={t["seat"]: t["ticket_type"] for t in tickets})
    return HoldRequest(body["showtime"], seats=body.get("seats"), quantity=body.get("quantity"))


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
            return [{**seat, "price": format_money(seat["price"], booking.currency)} for seat in held]
        return [
            {"id": bs.seat_id, "label": bs.seat.label, "ticket_type": bs.ticket_type_id,
             "price": format_money(bs.price, booking.currency)}
            for bs in booking.booking_seats.all()
        ]

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
