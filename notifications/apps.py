from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Email and notifications"

    def ready(self):
        from . import receivers  # noqa: F401  (a movie's first showtime announces it)
