"""The waitlist's Celery task: a thin wrapper that calls the service (registered by bookings.tasks)."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(
    name="bookings.offer_waitlist_seats", acks_late=True, autoretry_for=(OperationalError,), max_retries=5,
    retry_backoff=2, retry_backoff_max=60, retry_jitter=True,
)
def offer_waitlist_seats(showtime_id):
    """Offer the free seats of one showtime to its waitlist, in order (enqueued after commit by
    whatever frees seats). Re-reads everything; a second run finds nothing left to offer. A run
    that waited past the lock timeout for another run of the same showtime (or found the
    database away) tries again shortly, with Celery's backoff."""
    return services.offer_free_seats(showtime_id)
