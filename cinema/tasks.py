"""Celery tasks of the catalogue: thin wrappers that take ids and call the rules."""

from celery import shared_task

from . import posters


@shared_task(name="cinema.process_poster", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_poster(movie_id):
    """Make the WebP sizes of a movie's uploaded poster."""
    return posters.process_poster(movie_id)


@shared_task(name="cinema.requeue_stale_posters", ignore_result=True)
def requeue_stale_posters():
    """Every 5 minutes: posters whose processing was lost are enqueued again."""
    return posters.requeue_stale_posters()
