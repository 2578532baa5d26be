"""Real SMTP servers (aiosmtpd) on free ports, settings pointing the providers at them, and
booking fixtures for the notification tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingSeat, Ticket
from cinema.models import Seat
from tests.support.smtp import RecordingHandler, RefusingHandler, SMTPServer


@pytest.fixture
def smtp_factory():
    servers = []

    def start(handler):
        server = SMTPServer(handler)
        server.controller.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.controller.stop()


@pytest.fixture
def accepting_smtp(smtp_factory):
    return smtp_factory(RecordingHandler())


@pytest.fixture
def refusing_smtp(smtp_factory):
    return smtp_factory(RefusingHandler())


@pytest.fixture
def use_providers(settings):
    """use_providers(primary, fallback=None): point the primary (EMAIL_HOST/PORT) and the
    fallback (EMAIL_FALLBACK_URL) at test SMTP servers."""

    def point(primary, fallback=None):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = primary.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        settings.EMAIL_FALLBACK_URL = fallback.url if fallback else ""

    return point


@pytest.fixture
def make_paid_booking():
    """make_paid_booking(user, showtime, seats=2, **fields) -> a paid Booking with its tickets."""

    def make(user, showtime, seats=2, **fields):
        chosen = list(Seat.objects.filter(auditorium=showtime.auditorium).exclude(
            pk__in=BookingSeat.objects.filter(showtime=showtime, active=True).values("seat_id")
        ).order_by("row_index", "number")[:seats])
        now = timezone.now()
        values = {
            "status": Booking.Status.PAID,
            "expires_at": now + timedelta(minutes=10),
            "total": showtime.price * len(chosen),
            "currency": showtime.currency,
            "paid_at": now,
            **fields,
        }
        booking = Booking.objects.create(user=user, showtime=showtime, **values)
        for seat in chosen:
            BookingSeat.objects.create(booking=booking, showtime=showtime, seat=seat, price=showtime.price, expires_at=None)
            Ticket.objects.create(booking=booking, seat=seat)
        return booking

    return make

