"""Temporary shim while bookings/ moves to core.tasks (issue 14); delete when nothing imports it."""

from core.tasks import (  # noqa: F401
    enqueue_many_on_commit,
    enqueue_on_commit,
    send_task_safely,
    send_tasks_safely,
)
