"""The booking emails, rendered from templates and delivered to a real SMTP server."""

import io
from decimal import Decimal

import pytest
import zxingcpp
from django.db import transaction
from PIL import Image

from bookings import emails
from notifications import delivery
from notifications.models import EmailMessage


def _deliver_only(kind, smtp):
    message = EmailMessage.objects.get(kind=kind)
    assert delivery.deliver(message.pk).status == "sent"
    [received] = [m["message"] for m in smtp.messages]
    return message, received


def _decode(png_bytes):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    return [r.text for r in results]


@pytest.mark.django_db
def test_confirmation_carries_each_tickets_qr_inline_and_attached(
    user, showtime, make_paid_booking, accepting_smtp, use_providers, django_capture_on_commit_callbacks
):
    use_providers(accepting_smtp)
    booking = make_paid_booking(user, showtime, seats=3)
    codes = set(booking.tickets.values_list("code", flat=True))

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        emails.queue_booking_confirmation(booking)
    assert len(callbacks) == 1  # notifications.send_email, after commit

    message, received = _deliver_only("booking_confirmation", accepting_smtp)
    assert message.idempotency_key == f"booking_confirmation:{booking.pk}"
    assert booking.reference in received["Subject"]
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    for part in (text, html):
        assert booking.reference in part and showtime.movie.title in part
        assert showtime.auditorium.name in part and "A1, A2, A3" in part and "28.50 USD" in part
    assert f"http://testserver/bookings/{booking.pk}/" in text

    related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
    inline = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert len(inline) == 3
    for part in inline:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
    assert {code for p in inline for code in _decode(p.get_content())} == codes

    attached = [p for p in received.iter_attachments() if p.get_content_disposition() == "attachment"]
    assert len(attached) == 3 and all(p.get_filename().endswith(".png") for p in attached)
    assert {code for p in attached for code in _decode(p.get_content())} == codes


@pytest.mark.django_db
def test_confirmation_is_queued_once_per_booking(user, showtime, make_paid_booking):
    booking = make_paid_booking(user, showtime)
    emails.queue_booking_confirmation(booking)
    emails.queue_booking_confirmation(booking)
    assert EmailMessage.objects.filter(kind="booking_confirmation").count() == 1


@pytest.mark.django_db
def test_vietnamese_user_gets_vietnamese_email(user, showtime, make_paid_booking):
    user.language = "vi"
    user.save()
    booking = make_paid_booking(user, showtime)
    emails.queue_booking_confirmation(booking)
    message = EmailMessage.objects.get()
    assert message.language == "vi"
    assert message.subject.startswith("Vé xem")
    assert "Mã đặt chỗ" in message.body_text and "Mã đặt chỗ" in message.body_html
    assert "tháng" in message.body_text  # the date is written the Vietnamese way
    assert "Cinema Paradiso" in message.body_text


@pytest.mark.django_db
def test_cancellation_names_the_refund(user, showtime, make_paid_booking, settings):
    settings.CINEMA_NAME = "Rạp Sao Mai"
    booking = make_paid_booking(user, showtime, seats=1, status="cancelled", refund_amount=Decimal("4.75"))
    emails.queue_booking_cancelled(booking)
    message = EmailMessage.objects.get(kind="booking_cancelled")
    assert message.idempotency_key == f"booking_cancelled:{booking.pk}"
    assert "4.75 USD" in message.body_text and "4.75 USD" in message.body_html
    assert booking.reference in message.subject
    assert "Rạp Sao Mai" in message.body_text and "Rạp Sao Mai" in message.body_html


@pytest.mark.django_db
def test_cancellation_without_refund_says_so(user, showtime, make_paid_booking):
    booking = make_paid_booking(user, showtime, seats=1, status="cancelled", refund_amount=Decimal("0"))
    emails.queue_booking_cancelled(booking)
    assert "No refund is due" in EmailMessage.objects.get().body_text


@pytest.mark.django_db
def test_cancelled_hold_says_nothing_was_charged(user, showtime, make_paid_booking):
    booking = make_paid_booking(user, showtime, seats=1, status="cancelled", paid_at=None, refund_amount=Decimal("0"))
    emails.queue_booking_cancelled(booking)
    assert "Nothing was charged" in EmailMessage.objects.get().body_text


@pytest.mark.django_db
def test_late_payment_kept_says_so_beside_the_confirmation(user, showtime, make_paid_booking):
    booking = make_paid_booking(user, showtime, seats=2, late_payment="kept")
    emails.queue_booking_confirmation(booking)  # what payments queues beside it
    emails.queue_late_payment_outcome(booking)
    message = EmailMessage.objects.get(idempotency_key=f"late_payment:{booking.pk}")
    assert message.kind == "booking_confirmation"
    assert "kept your booking" in message.body_text and "A1, A2" in message.body_html
    assert "confirmed" in message.subject
    assert EmailMessage.objects.get(idempotency_key=f"booking_confirmation:{booking.pk}").attachments.count() == 4


@pytest.mark.django_db
def test_late_payment_refunded_names_the_full_refund(user, showtime, make_paid_booking):
    booking = make_paid_booking(
        user, showtime, seats=2, status="cancelled", late_payment="refunded", refund_amount=Decimal("19.00")
    )
    emails.queue_late_payment_outcome(booking)
    message = EmailMessage.objects.get(idempotency_key=f"late_payment:{booking.pk}")
    assert message.kind == "booking_cancelled"
    assert "refunding the full 19.00 USD" in message.body_text
    assert "refunded" in message.subject
    assert not message.attachments.exists()


@pytest.mark.django_db
def test_zero_decimal_currency_is_written_without_cents(user, showtime, make_paid_booking):
    showtime.currency = "vnd"
    showtime.price = Decimal("95000")
    showtime.save()
    booking = make_paid_booking(user, showtime, seats=2)
    emails.queue_booking_confirmation(booking)
    assert "190,000 VND" in EmailMessage.objects.get().body_text
