"""The `waitlist_offer` email: text and HTML, the user's language, a link to pay, delivered to a
real SMTP server (aiosmtpd)."""

from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from notifications import delivery
from notifications.models import EmailMessage
from tests.conftest import free_port
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.received = []

    def handle_message(self, message):
        self.received.append(message)


@pytest.fixture
def inbox(settings):
    """A real SMTP server the project's primary provider points at."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_FALLBACK_URL = ""
    yield handler.received
    controller.stop()


def parts(message):
    text = html = None
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
    return text, html


@pytest.mark.parametrize(
    "language, greeting, button",
    [("en", "Hello Minh", "Pay for your seats"), ("vi", "Xin chào Minh", "Thanh toán để nhận ghế")],
)
def test_the_offer_email_arrives_in_text_and_html_in_the_users_language(hall, offered, inbox, language, greeting, button):
    customer = UserFactory(first_name="Minh", language=language)
    [entry] = offered(user=customer)
    message = EmailMessage.objects.get(kind="waitlist_offer")

    assert delivery.deliver(message.pk).status == "sent"

    [received] = inbox
    assert received["To"] == customer.email
    text, html = parts(received)
    pay_link = f"http://testserver/bookings/{entry.booking_id}/"
    assert greeting in text and pay_link in text and "A1, A2" in text
    assert greeting in html and f'href="{pay_link}"' in html and button in html
    assert hall.movie.title in str(make_header(decode_header(received["Subject"])))
