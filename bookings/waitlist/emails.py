"""The `waitlist_offer` email, composed like the other booking emails (bookings.emails) and
queued in the transaction that makes the offer. Templates: emails/<language>/waitlist_offer.*"""

from notifications.models import EmailMessage

from ..emails import booking_url, queue_booking_email


def queue_waitlist_offer(entry, booking):
    """Seats are held for the entry until the booking's `expires_at`: the link goes to the
    booking's page, where it is paid like any other. Once per entry (the outbox's key)."""
    key = f"waitlist_offer:{entry.pk}"
    context = {"pay_url": booking_url(booking), "expires_at": booking.expires_at, "quantity": entry.quantity}
    return queue_booking_email(booking, EmailMessage.Kind.WAITLIST_OFFER, "waitlist_offer", key, context)[0]
