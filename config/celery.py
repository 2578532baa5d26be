"""The Celery app. `celery -A config worker` with no -Q consumes every queue declared here."""

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue("default"), Queue("payments"), Queue("email")]
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _log_task_ids(logger, *args, **kwargs):
    """Every log line a task writes carries its task name and id."""
    from celery.app.log import TaskFormatter

    for handler in logger.handlers:
        handler.setFormatter(
            TaskFormatter("%(asctime)s %(levelname)s [%(task_name)s(%(task_id)s)] %(name)s %(message)s")
        )
    logger.setLevel(logging.INFO)
