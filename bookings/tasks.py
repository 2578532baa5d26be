"""Celery tasks of bookings: thin wrappers that load ids and call services."""
