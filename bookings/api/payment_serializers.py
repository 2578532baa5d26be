"""Representations of tickets and check-in results (the booking detail lists `tickets`)."""

from django.conf import settings
from rest_framework import serializers

from bookings.models import Ticket
from bookings.tickets.services import qr_path


def absolute_url(path, request=None):
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


class TicketSerializer(serializers.ModelSerializer):
    """{"id", "seat": {"id", "label"}, "code", "qr_url"}"""

    seat = serializers.SerializerMethodField()
    qr_url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = ["id", "seat", "code", "qr_url"]

    def get_seat(self, ticket) -> dict:
        return {"id": ticket.seat_id, "label": ticket.seat.label}

    def get_qr_url(self, ticket) -> str:
        return absolute_url(qr_path(ticket), self.context.get("request"))


def tickets_of(booking, context=None):
    """The `tickets` of a booking's detail: its tickets when paid, else an empty list."""
    if booking.status != booking.Status.PAID:
        return []
    tickets = booking.tickets.select_related("seat").order_by("seat__row_index", "seat__number")
    return TicketSerializer(tickets, many=True, context=context or {}).data


class CheckInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=200, trim_whitespace=True)


def check_in_result(ticket):
    """200 body of a check-in: the ticket, its seat and its showtime."""
    showtime = ticket.booking.showtime
    return {
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
