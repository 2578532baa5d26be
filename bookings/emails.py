"""Booking emails, composed here and handed to the outbox as rows (DESIGN.md).

Each function is called inside the transaction of the change that causes the email."""


def queue_booking_confirmation(booking):
    """After payment: reference, movie, showtime, seats, total, one QR per ticket."""


def queue_booking_cancelled(booking):
    """After a cancellation, with the refund amount."""


def queue_late_payment_outcome(booking):
    """Payment arrived after the hold ended: the booking was kept, or refunded."""
