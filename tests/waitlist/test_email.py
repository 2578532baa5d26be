"""The `waitlist_offer` email: text and HTML, the user's language, a link to pay, delivered to a
real SMTP server (aiosmtpd)."""

import pytest

from notifications import delivery
from notifications.models import EmailMessage
from tests.factories import UserFactory
from tests.support.smtp import RecordingHandler, SMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings):
    """A real SMTP server the project's primary provider points at; yields what it received."""
    server = SMTPServer(RecordingHandler())
    server.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_FALLBACK_URL = ""
    yield server.messages
    server.controller.stop()


@pytest.mark.parametrize(
    "language, greeting, button",
    [("en", "Hello Minh", "Pay for your seats"), ("vi", "Xin chào Minh", "Thanh toán để nhận ghế")],
)
def test_the_offer_email_arrives_in_text_and_html_in_the_users_language(hall, offered, inbox, language, greeting, button):
    customer = UserFactory(first_name="Minh", language=language)
    [entry] = offered(user=customer)
    message = EmailMessage.objects.get(kind="waitlist_offer")

    assert delivery.deliver(message.pk).status == "sent"

    [received] = [m["message"] for m in inbox]
    assert received["To"] == customer.email
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    pay_link = f"http://testserver/bookings/{entry.booking_id}/"
    assert greeting in text and pay_link in text and "A1, A2" in text
    assert greeting in html and f'href="{pay_link}"' in html and button in html
    assert hall.movie.title in received["Subject"]
