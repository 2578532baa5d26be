"""The Celery app. `celery -A config worker` with no -Q consumes every queue declared here.

Every log line a task writes carries the task's name and id and, for work about one booking,
the booking's reference (`booking=K7Q-4XM2`), so that support can follow a customer's booking
through the logs of web, worker and beat. The reference is looked up by `ops.task_logging`
(connected when Django sets up): this module imports no app."""

import logging
import os

from celery import Celery
from celery._state import get_current_task
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun
from django.db import close_old_connections
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue("default"), Queue("payments"), Queue("email")]
# Celery's Django fix-up closes every database connection before and after each task (5.7 does
# so whatever CONN_MAX_AGE says), so every task paid for new PostgreSQL connections. Turn that
# off and treat a task like a request instead: close_old_connections() honours CONN_MAX_AGE and
# CONN_HEALTH_CHECKS, so a connection that broke (a database restart) is replaced, not reused.
app.conf["CELERY_DB_REUSE_MAX"] = 10**9
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_database_connections(task=None, **kwargs):
    if not getattr(getattr(task, "request", None), "is_eager", False):
        close_old_connections()


LOG_FORMAT = "%(asctime)s %(levelname)s [%(task_name)s(%(task_id)s)%(booking)s] %(name)s %(message)s"


class TaskFormatter(logging.Formatter):
    """Celery's TaskFormatter, plus ` booking=<reference>` when the task is about one booking."""

    def format(self, record):
        task = get_current_task()
        request = getattr(task, "request", None)
        if request is not None and request.id:
            record.__dict__.update(task_id=request.id, task_name=task.name)
            reference = getattr(request, "booking_reference", None)
            record.booking = f" booking={reference}" if reference else ""
        else:
            record.__dict__.setdefault("task_name", "???")
            record.__dict__.setdefault("task_id", "???")
            record.__dict__.setdefault("booking", "")
        return super().format(record)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_task_ids(logger, *args, **kwargs):
    """Every log line a task writes carries its task name and id (and booking reference)."""
    for handler in logger.handlers:
        handler.setFormatter(TaskFormatter(LOG_FORMAT))
    logger.setLevel(logging.INFO)
