from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health probes, the staff dashboard, the outage middleware, task log labels."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self):
        from . import checks, task_logging  # noqa: F401  (deploy checks; Celery's task_prerun: booking references)
