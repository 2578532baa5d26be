"""Showtime reminders: each paid booking of a showtime starting soon is reminded exactly once.

The guard is the outbox's unique idempotency key `showtime_reminder:<booking id>`: overlapping
or repeated runs may both try, the database lets one row in."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings.emails import queue_booking_email
from bookings.models import Booking

from .models import EmailMessage
from .outbox import already_queued

CHUNK = 500


def due_bookings(now):
    """Paid bookings of showtimes that start within REMINDER_LEAD_HOURS and have not started."""
    return Booking.objects.filter(
        status=Booking.Status.PAID,
        showtime__starts_at__gt=now,
        showtime__starts_at__lte=now + timedelta(hours=settings.REMINDER_LEAD_HOURS),
        user__is_active=True,
        user__deleted_at__isnull=True,
    )


def queue_showtime_reminder(booking):
    """(message, created) for one booking; created is False when it was reminded before."""
    key = f"showtime_reminder:{booking.pk}"
    if already_queued(key):
        return None, False
    with transaction.atomic():
        return queue_booking_email(booking, EmailMessage.Kind.SHOWTIME_REMINDER, "showtime_reminder", key)


def send_showtime_reminders():
    """Queue the reminders due now; returns how many this run created."""
    now = timezone.now()
    due = due_bookings(now).select_related("user", "showtime__movie", "showtime__auditorium").order_by("pk")
    created = 0
    last_pk = None
    while True:
        chunk = list((due.filter(pk__gt=last_pk) if last_pk else due)[:CHUNK])
        if not chunk:
            return created
        for booking in chunk:
            created += queue_showtime_reminder(booking)[1]
        last_pk = chunk[-1].pk
