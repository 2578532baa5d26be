"""Bookings written as rows (the state each one ends in), so that a report's sums can be checked
against them whatever code path made them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingSeat, Ticket



@pytest.fixture
def make_booking(user):
    """make_booking(showtime, n_seats, status, paid=True, refund=None, refund_status="succeeded", first_seat=0)."""

    def make(showtime, n_seats, status, *, paid=True, refund=None, refund_status=Booking.RefundStatus.SUCCEEDED,
             first_seat=0, late_payment=""):
        seats = list(showtime.auditorium.seats.order_by("row_index", "number")[first_seat:first_seat + n_seats])
        now = timezone.now()
        booking = Booking.objects.create(
            user=user, showtime=showtime, status=status, expires_at=now - timedelta(minutes=1),
            total=showtime.price * n_seats, currency=showtime.currency,
            paid_at=now if paid else None,
            cancelled_at=now if status == Booking.Status.CANCELLED else None,
            refund_amount=refund, late_payment=late_payment,
            refund_status=refund_status if refund is not None else Booking.RefundStatus.NONE,
        )
        active = status == Booking.Status.PAID
        BookingSeat.objects.bulk_create(
            BookingSeat(booking=booking, showtime=showtime, seat=seat, price=showtime.price, active=active)
            for seat in seats
        )
        if paid:
            Ticket.objects.bulk_create(Ticket(booking=booking, seat=seat) for seat in seats)
        return booking

    return make

