"""Paths of the API the tests call."""

HOLDS = "/api/v1/bookings/"
CHECKIN = "/api/v1/checkin/"


def seats_url(showtime):
    return f"/api/v1/showtimes/{showtime.pk}/seats/"


def booking_url(booking, action=""):
    """The booking's path (a booking or its id), with an action such as "cancel" or "checkout"."""
    booking_id = getattr(booking, "pk", booking)
    return f"/api/v1/bookings/{booking_id}/" + (f"{action}/" if action else "")

REPORTS = "/api/v1/reports/"


def report_url(report_id):
    return f"{REPORTS}{report_id}/"
