"""Staff draw halls from layouts in the admin (paste, upload, preview), and price showtimes with cards."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from bookings.holds.services import hold_seats
from cinema.models import Auditorium, PriceCard, PriceCardPrice, Seat, ShowtimePrice, TicketType
from cinema.services import create_auditorium
from tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/cinema/auditorium/add/"
LAYOUT = {"rows": [
    {"label": "A", "seats": [1, 2, None, 3, {"number": 4, "kind": "wheelchair"}, {"number": 5, "kind": "companion"}]},
    {"label": "B", "category": "premium", "seats": [1, 2, None, 3, 4, 5]},
]}


def kinds(name):
    return dict(Seat.objects.filter(auditorium__name=name).values_list("label", "kind"))


def test_a_pasted_layout_makes_the_hall(admin_client):
    response = admin_client.post(ADD, {"name": "Pasted", "layout": json.dumps(LAYOUT)})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert kinds("Pasted")["A4"] == "wheelchair" and kinds("Pasted")["A5"] == "companion"
    assert Auditorium.objects.get(name="Pasted").categories == ["standard", "premium"]


def test_an_uploaded_layout_file_makes_the_hall(admin_client):
    upload = SimpleUploadedFile("hall.json", json.dumps(LAYOUT).encode(), content_type="application/json")
    response = admin_client.post(ADD, {"name": "Uploaded", "layout_file": upload})

    assert response.status_code == 302
    assert len(kinds("Uploaded")) == 10


def test_preview_draws_the_hall_and_saves_nothing(admin_client):
    response = admin_client.post(ADD, {"name": "Preview", "layout": json.dumps(LAYOUT), "_preview": "1"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Preview only" in page
    assert 'data-seat="A4" data-kind="wheelchair"' in page and 'data-seat="B1" data-kind="seat" data-category="premium"' in page
    assert "♿" in page and "⚭" in page
    assert not Auditorium.objects.filter(name="Preview").exists()


def test_a_malformed_layout_shows_the_row_and_saves_nothing(admin_client):
    bad = {"rows": [{"label": "A", "seats": [1]}, {"label": "B", "seats": [1, {"number": 2, "kind": "sofa"}]}]}
    response = admin_client.post(ADD, {"name": "Bad", "layout": json.dumps(bad)})

    assert response.status_code == 200
    assert "Row 2 (B)" in response.content.decode()
    assert not Auditorium.objects.filter(name="Bad").exists()


def test_the_change_page_draws_the_current_hall_and_redraws_it(admin_client):
    hall = create_auditorium(name="Redrawn", rows=2, seats_per_row=3)
    page = admin_client.get(f"/admin/cinema/auditorium/{hall.pk}/change/").content.decode()
    assert 'data-seat="B3"' in page

    new = {"rows": [{"label": "A", "seats": [1, None, 2, 3]}, {"label": "B", "seats": [1, 2, 3]}]}
    response = admin_client.post(f"/admin/cinema/auditorium/{hall.pk}/change/", {"name": "Redrawn", "layout": json.dumps(new)})

    assert response.status_code == 302
    assert Seat.objects.get(auditorium=hall, label="A2").x == 2


def test_a_hall_with_held_seats_keeps_its_layout_but_may_be_renamed(admin_client, user):
    hall = create_auditorium(name="Busy", rows=2, seats_per_row=3)
    showtime = ShowtimeFactory(auditorium=hall)
    hold_seats(user, showtime, [hall.seats.first().pk])
    url = f"/admin/cinema/auditorium/{hall.pk}/change/"
    current = admin_client.get(url).context["adminform"].form.initial["layout"]

    refused = admin_client.post(url, {"name": "Busy", "layout": json.dumps({"rows": [{"seats": [1, 2]}]})})
    assert refused.status_code == 200
    assert "cannot change now" in refused.content.decode()
    assert Seat.objects.filter(auditorium=hall).count() == 6

    renamed = admin_client.post(url, {"name": "Busy hall", "layout": current})
    assert renamed.status_code == 302
    assert Auditorium.objects.get(pk=hall.pk).name == "Busy hall"


def test_a_price_card_is_applied_to_the_selected_showtimes(admin_client):
    card = PriceCard.objects.create(name="Weekday")
    child = TicketType.objects.get(code="child")
    PriceCardPrice.objects.create(card=card, ticket_type=child, category="", price=Decimal("6.50"))
    usd = [ShowtimeFactory(starts_at=timezone.now() + timedelta(days=d)) for d in (1, 2)]
    vnd = ShowtimeFactory(currency="vnd", price=Decimal("120000"))
    untouched = ShowtimeFactory()

    response = admin_client.post(
        "/admin/cinema/showtime/",
        {"action": f"apply_price_card_{card.pk}", "_selected_action": [s.pk for s in [*usd, vnd]]},
        follow=True,
    )

    page = response.content.decode()
    assert "applied to 2 showtime(s)" in page and "kept their prices" in page
    assert sorted(ShowtimePrice.objects.values_list("showtime_id", "price")) == [
        (usd[0].pk, Decimal("6.50")), (usd[1].pk, Decimal("6.50"))]
    assert not ShowtimePrice.objects.filter(showtime__in=[vnd, untouched]).exists()


def test_the_showtime_price_rows_refuse_decimals_in_a_zero_decimal_currency(admin_client):
    showtime = ShowtimeFactory(currency="vnd", price=Decimal("120000"))
    starts = timezone.localtime(showtime.starts_at)
    child = TicketType.objects.get(code="child")
    response = admin_client.post(f"/admin/cinema/showtime/{showtime.pk}/change/", {
        "movie": showtime.movie_id, "auditorium": showtime.auditorium_id,
        "starts_at_0": starts.strftime("%Y-%m-%d"), "starts_at_1": starts.strftime("%H:%M:%S"),
        "price": "120000", "currency": "vnd",
        "prices-TOTAL_FORMS": "1", "prices-INITIAL_FORMS": "0", "prices-MIN_NUM_FORMS": "0", "prices-MAX_NUM_FORMS": "1000",
        "prices-0-ticket_type": child.code, "prices-0-category": "", "prices-0-price": "60000.50",
    })

    assert response.status_code == 200
    assert "at most 0 decimal places" in response.content.decode()
    assert not ShowtimePrice.objects.exists()
