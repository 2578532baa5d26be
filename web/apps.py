from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"
    verbose_name = "Booking site"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
