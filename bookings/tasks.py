"""Celery tasks of bookings: thin wrappers that load ids and call services."""

from celery import shared_task

from . import services


@shared_task(name="bookings.expire_booking")
def expire_booking(booking_id):
    """Release one unpaid booking's seats once its hold has run out (sent with a countdown)."""
    return services.expire_booking(booking_id)


@shared_task(name="bookings.expire_unpaid_bookings")
def expire_unpaid_bookings():
    """Every minute (beat): sweep every pending booking past its hold."""
    return services.expire_unpaid_bookings()
