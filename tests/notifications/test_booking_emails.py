"""The booking emails, rendered from templates and delivered to a real SMTP server."""

import io
from decimal import Decimal

import pytest
import qrcode
import zxingcpp
from django.db import transaction
from PIL import Image

from bookings import emails
from bookings.holds import services as hold_services
from bookings.models import Booking
from notifications import delivery, sending
from notifications.models import EmailMessage
from tests.support.stripe import make_event, session_of, store_and_process


def _deliver_only(kind, smtp):
    message = EmailMessage.objects.get(kind=kind)
    assert delivery.deliver(message.pk).status == "sent"
    [received] = [m["message"] for m in smtp.messages]
    return message, received


def _decode(png_bytes):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    return [r.text for r in results]


def _qr_parts(received, html, codes):
    """The image parts of a delivered confirmation: one per ticket, each shown by the HTML
    (Content-ID in multipart/related) and saved under its filename, each decoding to its code."""
    images = [p for p in received.walk() if p.get_content_type() == "image/png"]
    related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
    assert len(images) == len(codes)  # each PNG once: no second, attached copy
    assert all(any(p is part for part in related.iter_parts()) for p in images)
    for part in images:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
        assert part.get_content_disposition() == "inline" and part.get_filename().endswith(".png")
    assert sorted(code for p in images for code in _decode(p.get_content())) == sorted(codes)
    return images


@pytest.mark.django_db
def test_confirmation_carries_each_tickets_qr_inline_and_attached(
    user, showtime, make_paid_booking, accepting_smtp, use_providers, django_capture_on_commit_callbacks
):
    use_providers(accepting_smtp)
    booking = make_paid_booking(user, showtime, seats=3)
    codes = list(booking.tickets.values_list("code", flat=True))

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

    images = _qr_parts(received, html, codes)
    assert list(received.iter_attachments()) == images  # the same parts are the downloadable files
    assert sorted(p.get_filename() for p in images) == [f"ticket-{booking.reference}-A{n}.png" for n in (1, 2, 3)]


@pytest.fixture
def qr_drawings(monkeypatch):
    """Counts the QR images drawn (every QR PNG goes through qrcode's make_image)."""
    drawn = []
    make_image = qrcode.QRCode.make_image

    def counting(self, *args, **kwargs):
        drawn.append(self.data_list[0].data.decode())
        return make_image(self, *args, **kwargs)

    monkeypatch.setattr(qrcode.QRCode, "make_image", counting)
    return drawn


def _pay(user, showtime, seats, start=0):
    """A hold through the booking core, paid by a signed checkout.session.completed."""
    ids = list(showtime.auditorium.seats.order_by("row_index", "number").values_list("pk", flat=True))
    booking = hold_services.hold_seats(user, showtime, ids[start:start + seats])
    store_and_process(make_event("checkout.session.completed", session_of(booking)))
    return Booking.objects.get(pk=booking.pk)


@pytest.mark.django_db
def test_the_payment_transaction_draws_no_qr_and_stores_no_png(user, showtime, qr_drawings):
    booking = _pay(user, showtime, seats=2)

    assert booking.status == Booking.Status.PAID
    assert qr_drawings == []
    message = EmailMessage.objects.get(idempotency_key=f"booking_confirmation:{booking.pk}")
    rows = list(message.attachments.order_by("source").values("content", "renderer", "source"))
    codes = sorted(booking.tickets.values_list("code", flat=True))
    assert [(bytes(r["content"]), r["renderer"], r["source"]) for r in rows] == [(b"", "ticket_qr", c) for c in codes]


def _send_single(message_ids):
    for pk in message_ids:
        assert delivery.deliver(pk).status == "sent"


def _send_batch(message_ids):
    assert sending.send_batch(message_ids) == {"sent": len(message_ids)}


@pytest.mark.django_db
@pytest.mark.parametrize("send", [_send_single, _send_batch], ids=["single", "batch"])
def test_a_paid_booking_is_mailed_one_qr_per_ticket_drawn_when_sent(
    send, user, other_user, showtime, qr_drawings, accepting_smtp, use_providers
):
    use_providers(accepting_smtp)
    bookings = [_pay(user, showtime, seats=2), _pay(other_user, showtime, seats=1, start=2)]
    ids = [EmailMessage.objects.get(idempotency_key=f"booking_confirmation:{b.pk}").pk for b in bookings]
    assert qr_drawings == []

    send(ids)

    all_codes = [code for b in bookings for code in b.tickets.values_list("code", flat=True)]
    assert sorted(qr_drawings) == sorted(all_codes)  # each drawn once, by delivery
    for booking in bookings:
        [received] = accepting_smtp.to(booking.user.email)
        codes = list(booking.tickets.values_list("code", flat=True))
        _qr_parts(received, received.get_body(("html",)).get_content(), codes)


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
    assert EmailMessage.objects.get(idempotency_key=f"booking_confirmation:{booking.pk}").attachments.count() == 2


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
