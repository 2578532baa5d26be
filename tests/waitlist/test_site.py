"""The showtime page's waitlist: "Join the waitlist" where the picker says sold out, the
user's position, leaving; English and Vietnamese."""

import pytest

from bookings.models import WaitlistEntry

from tests.factories import UserFactory

from .support import free_up

pytestmark = pytest.mark.django_db


def page(client, showtime, language="en"):
    client.cookies["django_language"] = language
    return client.get(f"/showtimes/{showtime.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_a_sold_out_showtime_offers_to_join_the_waitlist(client, user, hall, sold_out):
    sold_out()
    client.force_login(user)
    html = page(client, hall)
    assert "Sold out" in html and "Join the waitlist" in html
    assert f'action="/showtimes/{hall.pk}/waitlist/"' in html


def test_a_showtime_with_free_seats_shows_no_waitlist(client, user, hall, seats):
    client.force_login(user)
    assert "Join the waitlist" not in page(client, hall)


def test_joining_on_the_site_shows_the_position(client, user, hall, sold_out, join):
    sold_out()
    join(hall, 1)
    client.force_login(user)

    response = client.post(f"/showtimes/{hall.pk}/waitlist/", {"quantity": "2"}, follow=True)

    html = response.content.decode()
    assert WaitlistEntry.objects.get(user=user).quantity == 2
    assert "number 2 in line" in html and 'data-waitlist-position="2"' in html
    assert "Leave the waitlist" in html


def test_the_page_is_in_vietnamese_for_a_vietnamese_user(client, hall, sold_out, join):
    sold_out()
    customer = UserFactory(language="vi")
    client.force_login(customer)
    assert "Tham gia danh sách chờ" in page(client, hall, "vi")
    join(hall, 3, user=customer)
    html = page(client, hall, "vi")
    assert "Bạn đứng thứ 1 trong hàng chờ cho 3 ghế." in html


def test_an_anonymous_visitor_is_asked_to_sign_in(client, hall, sold_out):
    sold_out()
    html = page(client, hall)
    assert "Sign in to join the waitlist" in html
    response = client.post(f"/showtimes/{hall.pk}/waitlist/", {"quantity": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not WaitlistEntry.objects.exists()


def test_a_refusal_is_a_message_not_an_error(client, user, hall, sold_out):
    bookings = sold_out()
    free_up(bookings[0])
    client.force_login(user)
    response = client.post(f"/showtimes/{hall.pk}/waitlist/", {"quantity": "1"}, follow=True)
    assert response.status_code == 200
    assert "Seats are free for this showtime right now" in response.content.decode()
    response = client.post(f"/showtimes/{hall.pk}/waitlist/", {"quantity": "lots"}, follow=True)
    assert response.status_code == 200 and not WaitlistEntry.objects.exists()


def test_an_offer_is_shown_with_a_link_to_pay_and_leaving_releases_it(client, hall, offered):
    [entry] = offered()
    client.force_login(entry.user)

    html = page(client, hall)
    assert "Seats are held for you" in html and f'href="/bookings/{entry.booking_id}/"' in html

    client.post(f"/waitlist/{entry.pk}/leave/")
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT
    assert entry.booking.booking_seats.filter(active=True).count() == 0
