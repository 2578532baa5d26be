"""Sending tasks the way DESIGN.md rule 3 asks: after commit, by id, never failing the caller.

A broker outage must not fail a booking or a webhook: the row in the database is the truth
and the periodic sweepers enqueue whatever is left pending."""

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def send_task_safely(task, args=(), kwargs=None, **options):
    """apply_async, logging (not raising) a broker failure."""
    try:
        return task.apply_async(args=args, kwargs=kwargs or {}, retry=False, **options)
    except Exception:  # kombu raises many kinds; any of them means "try later via the sweeper"
        logger.warning("could not enqueue %s%r; the sweeper will retry", task.name, tuple(args), exc_info=True)
        return None


def enqueue_on_commit(task, *args, **options):
    """Send `task(*args)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: send_task_safely(task, args=args, **options))
