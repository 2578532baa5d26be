"""Tickets in the booking detail, their QR images, and check-in at the door."""

import io
import secrets

import pytest
import zxingcpp
from PIL import Image

from bookings.payments import cancellation
from bookings.models import Booking, Ticket
from tests.support.urls import CHECKIN, booking_url


def test_a_paid_booking_lists_one_ticket_per_seat(paid_booking, user_client, settings):
    body = user_client.get(booking_url(paid_booking)).json()

    assert body["status"] == "paid"
    tickets = body["tickets"]
    assert len(tickets) == 2
    labels = sorted(s["label"] for s in body["seats"])
    assert sorted(t["seat"]["label"] for t in tickets) == labels
    for ticket in tickets:
        assert set(ticket) == {"id", "seat", "code", "qr_url"}
        assert ticket["code"] == Ticket.objects.get(pk=ticket["id"]).code
        assert ticket["qr_url"] == f"{settings.SITE_URL}/api/v1/tickets/{ticket['id']}/qr.png"


def test_a_pending_booking_lists_no_tickets(pending_booking, user_client):
    assert user_client.get(booking_url(pending_booking)).json()["tickets"] == []


def test_ticket_codes_are_unguessable_and_distinct(paid_booking):
    codes = list(Ticket.objects.values_list("code", flat=True))
    assert len(set(codes)) == len(codes) == 2
    assert all(len(code) >= 24 for code in codes)  # 144 random bits


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_the_qr_image_encodes_the_code(who, paid_booking, user_client, staff_client):
    ticket = paid_booking.tickets.first()
    client = user_client if who == "owner" else staff_client

    response = client.get(f"/api/v1/tickets/{ticket.pk}/qr.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert [d.text for d in decoded] == [ticket.code]


def test_the_qr_image_is_hidden_from_others(paid_booking, client_for, other_user, anon_client):
    ticket = paid_booking.tickets.first()
    assert client_for(other_user).get(f"/api/v1/tickets/{ticket.pk}/qr.png").status_code == 404
    assert anon_client.get(f"/api/v1/tickets/{ticket.pk}/qr.png").status_code == 401


def test_first_scan_admits_with_seat_and_showtime(paid_booking, staff_client, staff_user):
    ticket = paid_booking.tickets.select_related("seat").first()

    response = staff_client.post(CHECKIN, {"code": ticket.code}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["ticket"]["id"] == ticket.pk
    assert body["seat"]["label"] == ticket.seat.label
    assert body["showtime"]["id"] == paid_booking.showtime_id
    assert body["showtime"]["movie"] == paid_booking.showtime.movie.title
    assert body["booking"]["reference"] == paid_booking.reference
    ticket.refresh_from_db()
    assert ticket.checked_in_at is not None and ticket.checked_in_by == staff_user


def test_second_scan_is_409_already_checked_in(paid_booking, staff_client):
    code = paid_booking.tickets.first().code
    staff_client.post(CHECKIN, {"code": code}, format="json")
    response = staff_client.post(CHECKIN, {"code": code}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_checked_in"


def test_a_cancelled_booking_ticket_is_409_ticket_not_valid(paid_booking, staff_client, user):
    code = paid_booking.tickets.first().code
    cancellation.cancel_booking(paid_booking, by_user=user)
    response = staff_client.post(CHECKIN, {"code": code}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_not_valid"
    assert Ticket.objects.get(code=code).checked_in_at is None


def test_an_unpaid_booking_ticket_is_409_ticket_not_valid(pending_booking, staff_client):
    seat = pending_booking.booking_seats.first().seat
    ticket = Ticket.objects.create(booking=pending_booking, seat=seat)
    response = staff_client.post(CHECKIN, {"code": ticket.code}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_not_valid"


@pytest.mark.parametrize(
    "body",
    [
        {"code": secrets.token_urlsafe(18)},  # well formed, but no such ticket: forged
        {"code": "'; DROP TABLE tickets; --"},
        {"code": "short"},
        {"code": "x" * 500},
        {"code": ""},
        {"code": 12345},
        {},
    ],
)
def test_forged_garbled_or_missing_codes_are_400_invalid_ticket(body, paid_booking, staff_client):
    response = staff_client.post(CHECKIN, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_ticket"
    assert not Ticket.objects.filter(checked_in_at__isnull=False).exists()


def test_a_code_that_differs_by_one_character_is_refused(paid_booking, staff_client):
    code = paid_booking.tickets.first().code
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert staff_client.post(CHECKIN, {"code": forged}, format="json").json()["code"] == "invalid_ticket"


def test_check_in_is_staff_only(paid_booking, user_client, anon_client):
    code = paid_booking.tickets.first().code
    assert user_client.post(CHECKIN, {"code": code}, format="json").status_code == 403
    assert anon_client.post(CHECKIN, {"code": code}, format="json").status_code == 401
    assert Booking.objects.get(pk=paid_booking.pk).tickets.filter(checked_in_at__isnull=False).count() == 0
