"""The waitlist's Celery task: a thin wrapper that calls the service (registered by bookings.tasks)."""

from celery import shared_task

from . import services


@shared_task(name="bookings.offer_waitlist_seats", acks_late=True)
def offer_waitlist_seats(showtime_id):
    """Offer the free seats of one showtime to its waitlist, in order (enqueued after commit by
    whatever frees seats). Re-reads everything; a second run finds nothing left to offer."""
    return services.offer_free_seats(showtime_id)
