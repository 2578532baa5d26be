from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Bookings and payments"

    def ready(self):
        from bookings import receivers  # noqa: F401  (user deletion releases holds)
        from bookings.tickets.services import TICKET_QR, qr_png
        from notifications.attachments import register_renderer

        register_renderer(TICKET_QR, qr_png)  # the confirmation's QR images, drawn when sent
