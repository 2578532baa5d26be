"""Sending tasks the way DESIGN.md rule 3 asks: after commit, by id, never failing the caller.

A broker outage must not fail a booking or a webhook: the row in the database is the truth
and the periodic sweepers enqueue whatever is left pending."""

import logging

from celery import current_app
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


def send_tasks_safely(task, arg_lists, **options):
    """Publish `task(*args)` for each args in `arg_lists` through one producer (one pooled
    connection), so that a sweep waking thousands of tasks does not pay a pool round trip for
    each. Stops at the first broker failure and logs it: the rest is the sweepers' job.
    Returns how many were sent."""
    sent = 0
    try:
        with task.app.producer_or_acquire() as producer:
            for args in arg_lists:
                task.apply_async(args=tuple(args), retry=False, producer=producer, **options)
                sent += 1
    except Exception:  # as in send_task_safely: the database keeps the work
        logger.warning("could not enqueue %s (%d of %d sent); the sweeper will retry",
                       task.name, sent, len(arg_lists), exc_info=True)
    return sent


def enqueue_many_on_commit(task, arg_lists, **options):
    """enqueue_on_commit for many calls of one task, published together after commit."""
    arg_lists = [tuple(args) for args in arg_lists]
    if arg_lists:
        transaction.on_commit(lambda: send_tasks_safely(task, arg_lists, **options))


def task_named(name):
    """The registered task called `name`, with its options (queue, retries...).

    A service enqueues a task of its own app this way: the app's tasks module imports the
    service, so importing the task back would close a circle. In a web process the apps' task
    modules may not be imported yet: Celery's loader imports them (autodiscovery) once."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]
