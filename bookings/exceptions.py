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
    """Cannot be cancelled; `reason`: `no_refund_window`, or the booking has ended (`cancelled`, `expired`)."""

    code = "too_late"


class CheckoutRefused(BookingError):
    """The booking cannot be paid now: `hold_expired`, or `not_pending` with the booking's
    status as `reason` (`paid`, `cancelled`, `expired`)."""

    code = "not_pending"


class TicketTypeNotOnSale(BookingError):
    """A ticket's type has no price for its seat at this showtime (cinema.pricing): 400."""

    code = "ticket_type_not_on_sale"


class CompanionNeedsWheelchair(BookingError):
    """A companion seat asked for without the wheelchair space beside it, before
    ACCESSIBLE_RELEASE_MINUTES ahead of the start: 409 with the companion `seats`."""

    code = "companion_needs_wheelchair"


class NoAdjacentSeats(BookingError):
    """No row has `quantity` free seats side by side: 409 with `largest`, the most there are."""

    code = "no_adjacent_seats"


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
