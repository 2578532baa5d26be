"""The site's side of the bookings services: calls them, and turns their refusals into
messages a customer understands. No booking rule lives here; each one is the service's."""

from dataclasses import dataclass, field
from functools import cached_property
from itertools import groupby

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings import selectors
from bookings.exceptions import BookingError, CheckoutRefused, SeatsUnavailable
from bookings.holds import services as hold_services
from bookings.models import Booking
from bookings.payments import cancellation
from bookings.payments.checkout import start_checkout
from bookings.payments.gateways import GatewayError
from bookings.tickets.services import qr_path
from cinema.models import Seat

from .templatetags.site_tags import format_money

# --- seat map ------------------------------------------------------------------------------


def seat_map(showtime):
    """[{"id", "row", "number", "label", "status"}] in row order (bookings.selectors' seat map)."""
    return [dict(seat) for seat in selectors.seat_map(showtime)]


def group_rows(seats):
    return [(row, list(items)) for row, items in groupby(seats, key=lambda s: s["row"])]


def count_statuses(seats):
    counts = {"available": 0, "held": 0, "sold": 0}
    for seat in seats:
        counts[seat["status"]] = counts.get(seat["status"], 0) + 1
    return counts


def labels_of(seat_ids):
    seats = Seat.objects.filter(pk__in=list(seat_ids)).order_by("row_index", "number")
    return [seat.label for seat in seats]


def seats_taken_message(labels):
    return ngettext(
        "Sorry, seat %(seats)s was just taken by someone else. Please pick another seat.",
        "Sorry, seats %(seats)s were just taken by someone else. Please pick other seats.",
        len(labels),
    ) % {"seats": ", ".join(labels)}


# --- hold ----------------------------------------------------------------------------------


@dataclass
class HoldOutcome:
    booking: object = None
    message: str = ""
    keep_seat_ids: list = field(default_factory=list)


def hold(user, showtime, seat_ids):
    """bookings.holds.services.hold_seats, its refusals as a message and the seats worth keeping picked."""
    try:
        return HoldOutcome(booking=hold_services.hold_seats(user, showtime, seat_ids))
    except SeatsUnavailable as exc:
        taken = list(exc.extra.get("seats") or [])
        own = own_hold_of(user, showtime, seat_ids)
        if own is not None:  # a double click: the first request already holds them for this user
            return HoldOutcome(booking=own)
        keep = [i for i in seat_ids if i not in taken]
        return HoldOutcome(message=seats_taken_message(labels_of(taken)), keep_seat_ids=keep)
    except BookingError as exc:
        keep = [i for i in seat_ids if i not in (exc.extra.get("seats") or [])]
        return HoldOutcome(message=hold_refused_message(exc), keep_seat_ids=keep)


def own_hold_of(user, showtime, seat_ids):
    """The user's live hold of this showtime that has exactly these seats, if there is one."""
    for booking in selectors.with_seats(selectors.active_holds(user, showtime, timezone.now())):
        if sorted(bs.seat_id for bs in booking.booking_seats.all() if bs.active) == sorted(seat_ids):
            return booking
    return None


def hold_refused_message(exc):
    messages = {
        "showtime_started": _("This showtime has already started: seats can no longer be booked."),
        "too_many_seats": _("That is more seats than one booking can hold."),
        "no_seats": _("Pick at least one seat first."),
        "too_many_holds": _(
            "You already have seats on hold for this showtime. Pay for them or release them first "
            "(see My bookings)."
        ),
    }
    return messages.get(exc.code) or _("We could not hold these seats. Please pick them again.")


# --- payment -------------------------------------------------------------------------------


@dataclass
class CheckoutOutcome:
    url: str = None
    message: str = ""


def checkout(booking):
    """The gateway's checkout (bookings.payments.checkout.start_checkout, as the API's checkout uses)."""
    try:
        session = start_checkout(booking)
    except CheckoutRefused:
        booking.refresh_from_db()
        return CheckoutOutcome(message=checkout_refused_message(booking))
    except GatewayError:
        return CheckoutOutcome(
            message=_("The payment service is not answering right now. Your seats are still held: please try again.")
        )
    return CheckoutOutcome(url=session.url)


def checkout_refused_message(booking):
    if booking.status == Booking.Status.PAID:
        return _("This booking is already paid.")
    if booking.status == Booking.Status.CANCELLED:
        return _("This booking was cancelled, so it cannot be paid.")
    return _("Your hold has expired and the seats were released. Please pick your seats again.")


# --- cancel --------------------------------------------------------------------------------


@dataclass
class CancelOutcome:
    ok: bool
    message: str


def cancel(booking, user):
    """bookings.payments.cancellation.cancel_booking, with what was refunded in the message."""
    try:
        booking = cancellation.cancel_booking(booking, by_user=user)
    except BookingError:
        booking.refresh_from_db()
        return CancelOutcome(False, cancel_refused_message(booking))
    if booking.refund_amount:
        return CancelOutcome(
            True,
            _("Your booking is cancelled. A refund of %(amount)s is on its way.")
            % {"amount": format_money(booking.refund_amount, booking.currency)},
        )
    return CancelOutcome(True, _("Your booking is cancelled and the seats are released."))


def cancel_refused_message(booking):
    if booking.status == Booking.Status.PAID:
        return _("It is too late to cancel: the showtime starts in less than %(hours)d hours.") % {
            "hours": settings.REFUND_NONE_HOURS
        }
    if booking.status == Booking.Status.CANCELLED:
        return _("This booking is already cancelled.")
    return _("This hold has already expired; there is nothing to cancel.")


# --- what the booking page shows -----------------------------------------------------------


class BookingView:
    """A booking as the customer sees it at `now`: a pending hold past `expires_at` is over."""

    def __init__(self, booking, now):
        self.booking = booking
        self.now = now
        status = booking.status
        if booking.expires_at and booking.is_lapsed(now):
            status = "expired"
        self.status = status

    @property
    def seconds_left(self):
        if self.status != "pending":
            return 0
        return max(0, int((self.booking.expires_at - self.now).total_seconds()))

    @property
    def countdown(self):
        """"09:42": what the JS countdown shows, rendered by the server for the first paint."""
        minutes, seconds = divmod(self.seconds_left, 60)
        return f"{minutes:02d}:{seconds:02d}"

    @cached_property
    def seat_labels(self):
        return [bs.seat.label for bs in self.booking.booking_seats.all()]

    @cached_property
    def tickets(self):
        if self.booking.status != "paid":
            return []
        return [
            {"seat": t.seat.label, "code": t.code, "qr_url": qr_path(t)}
            for t in self.booking.tickets.select_related("seat").order_by("seat__row_index", "seat__number")
        ]

    @property
    def can_pay(self):
        return self.status == "pending"

    @cached_property
    def refund(self):
        """What cancelling now would refund (bookings.payments.cancellation.refund_amount_for); None: cannot."""
        return cancellation.refund_amount_for(self.booking, self.now)

    @property
    def can_cancel(self):
        return self.status in ("pending", "paid") and self.refund is not None

    @property
    def cancel_refused(self):
        """Why this booking cannot be cancelled, when it cannot."""
        if self.can_cancel or self.status not in ("pending", "paid"):
            return ""
        return cancel_refused_message(self.booking)

