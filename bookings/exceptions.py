"""Refusals of bookings: a stable `code` and a message, no HTTP status.

`core.api.STATUS_BY_CODE` maps each code to its status for the API; the site shows the
message of the code it gets (web.booking_ops), never works the reason out again."""

from core.errors import DomainError


class BookingError(DomainError):
    code = "invalid"


class InvalidHold(BookingError):
    code = "invalid_seats"


class ShowtimeNotFound(BookingError):
    code = "not_found"


class SeatsUnavailable(BookingError):
    code = "seats_unavailable"

    def __init__(self, seat_ids):
        seat_ids = sorted(seat_ids)
        super().__init__(
            f"{len(seat_ids)} of the seats you chose {'is' if len(seat_ids) == 1 else 'are'} already taken.",
            seats=seat_ids,
        )


class TooManyHolds(BookingError):
    code = "too_many_holds"


class TooLate(BookingError):
    code = "too_late"


class CheckoutRefused(BookingError):
    """The booking cannot be paid now: `not_pending` or `hold_expired`."""

    code = "not_pending"


# --- the waitlist (bookings.waitlist) ---------------------------------------------------------


class WaitlistClosed(BookingError):
    """Joining within WAITLIST_CUTOFF_MINUTES of the start (or after it)."""

    code = "waitlist_closed"


class InvalidQuantity(BookingError):
    code = "invalid_quantity"


class SeatsAvailable(BookingError):
    """As many seats as asked for are free now: book them instead."""

    code = "seats_available"


class AlreadyWaiting(BookingError):
    code = "already_waiting"


class WaitlistEntryNotFound(BookingError):
    code = "not_found"
