"""Sending bookings' tasks by name, after commit.

By name so that the modules tasks.py calls (services, stripe_events, refunds, checkout) never
import tasks.py back: the imports of bookings run one way, tasks -> services, no circle."""

from celery import current_app

from core.tasks import enqueue_on_commit, send_task_safely


def send_on_commit(name, *args, **options):
    """Send the task called `name` with `args` once the transaction commits."""
    enqueue_on_commit(current_app.signature(name), *args, **options)


def send_now(name, *args, **options):
    """Send the task called `name` at once, logging (not raising) a broker failure."""
    return send_task_safely(current_app.signature(name), args=list(args), **options)
