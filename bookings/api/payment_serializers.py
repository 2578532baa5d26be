"""Representations of tickets and check-in results (the booking detail lists `tickets`)."""

from django.conf import settings
from rest_framework import serializers

from bookings.models import Ticket
from bookings.tickets.services import qr_path
from core.money import amount_string


def absolute_url(path, request=None):
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


class TicketSerializer(serializers.ModelSerializer):
    """{"id", "seat": {"id", "label"}, "code", "qr_url", "ticket_type", "price"}"""

    seat = serializers.SerializerMethodField()
    qr_url = serializers.SerializerMethodField()
    ticket_type = serializers.CharField(source="ticket_type_id")
    price = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "seat", "code", "qr_url", "ticket_type", "price"]

    def get_price(self, ticket) -> str | None:
        return amount_string(ticket.price, ticket.booking.currency)

    def get_seat(self, ticket) -> dict:
        return {"id": ticket.seat_id, "label": ticket.seat.label}

    def get_qr_url(self, ticket) -> str:
        return absolute_url(qr_path(ticket), self.context.get("request"))


def tickets_of(booking, context=None):
    """The `tickets` of a booking's detail: its tickets when paid, else an empty list."""
    if booking.status != booking.Status.PAID:
        return []
    tickets = booking.tickets.select_related("seat", "booking").order_by("seat__row_index", "seat__number")
    return TicketSerializer(tickets, many=True, context=context or {}).data


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=200, trim_whitespace=True)


def check_in_result(ticket):
    """200 body of a check-in: the ticket, its seat and its showtime; `ticket_type`, and
    `check_id` when the door must ask for proof (a child's or student ticket)."""
    showtime = ticket.booking.showtime
    return {
        "ticket_type": ticket.ticket_type_id,
        "check_id": ticket.ticket_type.check_id,
        "ticket": {
            "id": ticket.pk,
            "code": ticket.code,
            "checked_in_at": serializers.DateTimeField().to_representation(ticket.checked_in_at),
        },
        "seat": {"id": ticket.seat_id, "label": ticket.seat.label, "row": ticket.seat.row, "number": ticket.seat.number},
        "showtime": {
            "id": showtime.pk,
            "starts_at": serializers.DateTimeField().to_representation(showtime.starts_at),
            "movie": showtime.movie.title,
            "auditorium": showtime.auditorium.name,
        },
        "booking": {"id": str(ticket.booking_id), "reference": ticket.booking.reference},
    }
