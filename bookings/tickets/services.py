"""Tickets: one per paid seat, a QR image of its code, and check-in at the door.

A ticket's `code` is a random secret of 144 bits (`Ticket.code`'s default) looked up in the
database: it cannot be guessed, and a forged or garbled one simply is not found. The QR
encodes that code exactly, nothing more."""

import io
import re

import qrcode
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from qrcode.image.pil import PilImage

from bookings.models import Booking, Ticket

# What new_ticket_code() produces (token_urlsafe), with room for longer codes; anything
# else is refused before it reaches the database.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InvalidTicket(Exception):
    """Forged, garbled or unknown code (400 invalid_ticket)."""


class TicketNotValid(Exception):
    """A real ticket of a booking that is not paid (cancelled, expired…) (409 ticket_not_valid)."""

    def __init__(self, ticket):
        super().__init__("This ticket's booking is not paid.")
        self.ticket = ticket


class AlreadyCheckedIn(Exception):
    """The ticket was admitted before (409 already_checked_in)."""

    def __init__(self, ticket):
        super().__init__("This ticket has already been checked in.")
        self.ticket = ticket


def issue_tickets(booking):
    """One ticket per seat the booking holds; safe to call twice (existing ones are kept).
    Called under the booking's row lock, when it becomes paid."""
    seat_ids = set(booking.booking_seats.filter(active=True).values_list("seat_id", flat=True))
    have = set(booking.tickets.values_list("seat_id", flat=True))
    Ticket.objects.bulk_create([Ticket(booking=booking, seat_id=seat_id) for seat_id in sorted(seat_ids - have)])
    return list(booking.tickets.select_related("seat").order_by("seat__row_index", "seat__number"))


def qr_path(ticket):
    return reverse("ticket-qr", args=[ticket.pk])


def qr_png(code):
    """PNG bytes of a QR code that encodes `code` exactly (error correction M)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(code)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()


def check_in(code, by):
    """Admit the holder of `code` once.

    The ticket row is locked (select_for_update) before `checked_in_at` is read, so two
    scanners at one door that read the same code at the same instant are serialised: the
    second one sees the first one's admission and is refused."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code.strip()):
        raise InvalidTicket("This is not a ticket code.")
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("booking", "seat", "booking__showtime__movie", "booking__showtime__auditorium")
            .filter(code=code.strip())
            .first()
        )
        if ticket is None:
            raise InvalidTicket("Unknown ticket code.")
        if ticket.booking.status != Booking.Status.PAID:
            raise TicketNotValid(ticket)
        if ticket.checked_in_at is not None:
            raise AlreadyCheckedIn(ticket)
        ticket.checked_in_at = timezone.now()
        ticket.checked_in_by = by
        ticket.save(update_fields=["checked_in_at", "checked_in_by"])
    return ticket
