from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings and payments"

    def ready(self):
        from bookings import receivers  # noqa: F401  (user deletion releases holds)
