"""Booking emails, composed here and handed to the outbox as rows (DESIGN.md).

Each function is called inside the transaction of the change that causes the email, and is
safe to call twice: the idempotency key of its purpose makes the second call a no-op.
Templates: notifications/templates/emails/<language>/<kind>.{subject.txt,txt,html}."""

from bookings.tickets.services import TICKET_QR
from notifications.models import EmailMessage
from notifications.outbox import Attachment, already_queued, queue_email
from notifications.rendering import format_money, render_email, site_link


def booking_url(booking):
    return site_link(f"/bookings/{booking.pk}/")


def _seat_labels(booking):
    held = getattr(booking, "seats_held", None)  # set by hold_seats on a booking just made: no query
    if held is not None:
        return [seat["label"] for seat in held]
    seats = booking.booking_seats.filter(active=True).select_related("seat")
    labels = [bs.seat.label for bs in seats.order_by("seat__row_index", "seat__number")]
    if not labels:  # a cancelled booking's seats are released; its tickets still name them
        labels = [t.seat.label for t in booking.tickets.select_related("seat").order_by("seat__row_index", "seat__number")]
    return labels


def booking_context(booking):
    showtime = booking.showtime
    user = booking.user
    return {
        "name": user.first_name or user.email,
        "reference": booking.reference,
        "movie_title": showtime.movie.title,
        "starts_at": showtime.starts_at,
        "auditorium": showtime.auditorium.name,
        "seats": _seat_labels(booking),
        "total": format_money(booking.total, booking.currency),
        "refund": format_money(booking.refund_amount, booking.currency) if booking.refund_amount else "",
        "booking_url": booking_url(booking),
        "was_paid": booking.paid_at is not None,
    }


def _ticket_images(booking):
    """Per ticket: one QR part, inline (shown in the HTML by Content-ID) and saved under its
    filename. Deferred: the row names the ticket's code and delivery draws the PNG when it sends,
    outside the payment transaction that queues this email and holds the seat locks."""
    tickets, attachments = [], []
    for ticket in booking.tickets.select_related("seat").order_by("seat__row_index", "seat__number"):
        cid = f"ticket-{ticket.pk}@{booking.reference.lower()}"
        filename = f"ticket-{booking.reference}-{ticket.seat.label}.png"
        tickets.append({"label": ticket.seat.label, "cid": cid})
        attachments.append(Attachment.rendered_when_sent(filename, TICKET_QR, ticket.code, "image/png", content_id=cid))
    return tickets, attachments


def queue_booking_email(booking, kind, template, key, context=None, attachments=()):
    """Render `template` about the booking in its user's language and queue it under the purpose
    `key`: (message, created), created False when that purpose was queued before."""
    user = booking.user
    rendered = render_email(template, {**booking_context(booking), **(context or {})}, user.language)
    return queue_email(
        kind,
        user.email,
        rendered.subject,
        rendered.text,
        rendered.html,
        idempotency_key=key,
        user=user,
        attachments=attachments,
        language=user.language,
    )


def queue_booking_confirmation(booking):
    """After payment: reference, movie, showtime, seats, total, one QR per ticket."""
    key = f"booking_confirmation:{booking.pk}"
    if already_queued(key):
        return None
    tickets, attachments = _ticket_images(booking)
    return queue_booking_email(
        booking, EmailMessage.Kind.BOOKING_CONFIRMATION, "booking_confirmation", key, {"tickets": tickets}, attachments
    )[0]


def queue_booking_cancelled(booking):
    """After a cancellation, with the refund amount."""
    key = f"booking_cancelled:{booking.pk}"
    if already_queued(key):
        return None
    return queue_booking_email(booking, EmailMessage.Kind.BOOKING_CANCELLED, "booking_cancelled", key)[0]


def queue_late_payment_outcome(booking):
    """Payment arrived after the hold ended: the booking was kept (its tickets come with the
    confirmation, queued beside this), or refunded in full.

    Its own purpose key, but one of the contract's kinds: a kept booking's note is a
    `booking_confirmation`, a refunded one's a `booking_cancelled` (clients filter by kind)."""
    key = f"late_payment:{booking.pk}"
    if already_queued(key):
        return None
    outcome = "kept" if booking.late_payment == "kept" else "refunded"
    context = {"outcome": outcome}
    if outcome == "refunded":
        context["refund"] = format_money(booking.refund_amount or booking.total, booking.currency)
    kind = EmailMessage.Kind.BOOKING_CONFIRMATION if outcome == "kept" else EmailMessage.Kind.BOOKING_CANCELLED
    return queue_booking_email(booking, kind, "late_payment", key, context)[0]
