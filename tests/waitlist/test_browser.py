"""The waitlist on the showtime page in headless Chromium: sold out -> "Join the waitlist", the
position shown, in English and Vietnamese; an offer shown with its link to pay."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.holds import services
from bookings.models import Booking, BookingSeat
from bookings.waitlist import services as waitlist
from tests.factories import AuditoriumFactory, ShowtimeFactory, UserFactory

from tests.support.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sold_out_show(settings, live_server):
    """A showtime tomorrow in a hall of 4 seats, every one sold (two bookings of two)."""
    settings.SITE_URL = live_server.url
    showtime = ShowtimeFactory(auditorium=AuditoriumFactory(rows=1, seats_per_row=4), starts_at=timezone.now() + timedelta(days=1))
    seat_ids = list(showtime.auditorium.seats.order_by("number").values_list("pk", flat=True))
    bookings = [services.hold_seats(UserFactory(), showtime, seat_ids[i : i + 2]) for i in (0, 2)]
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(status=Booking.Status.PAID)
    BookingSeat.objects.filter(showtime=showtime).update(expires_at=None)
    showtime.bookings_sold = bookings
    return showtime


def signed_in_page(chromium, base, user, path, viewport):
    context = chromium.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next={path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-12345678")
    page.get_by_role("button", name="Sign in").last.click()
    return context, page


def test_join_the_waitlist_of_a_sold_out_showtime_in_english_and_vietnamese(chromium, live_server, sold_out_show, screenshot):
    path = f"/showtimes/{sold_out_show.pk}/"
    first = UserFactory(username="an", language="en")
    second = UserFactory(username="binh", language="vi")

    context, page = signed_in_page(chromium, live_server.url, first, path, DESKTOP)
    expect(page.locator(".waitlist .sold-out")).to_have_text("Sold out")
    screenshot(page, "sold-out-en")
    page.select_option("#waitlist-quantity", "2")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("[data-waitlist-position]")).to_have_text("You are number 1 in line for 2 seats.")
    expect(page.get_by_role("button", name="Leave the waitlist")).to_be_visible()
    screenshot(page, "position-en")
    context.close()

    context, page = signed_in_page(chromium, live_server.url, second, path, PHONE)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator(".waitlist .sold-out")).to_have_text("Hết vé")
    page.select_option("#waitlist-quantity", "1")
    page.get_by_role("button", name="Tham gia danh sách chờ").click()
    expect(page.locator("[data-waitlist-position]")).to_have_text("Bạn đứng thứ 2 trong hàng chờ cho 1 ghế.")
    screenshot(page, "position-vi")
    context.close()


def test_an_offer_shows_on_the_page_with_a_link_to_pay(chromium, live_server, sold_out_show, screenshot):
    customer = UserFactory(username="chi")
    entry = waitlist.join(customer, sold_out_show.pk, 2)
    first_pair = sold_out_show.bookings_sold[0]
    Booking.objects.filter(pk=first_pair.pk).update(status=Booking.Status.CANCELLED)
    BookingSeat.objects.filter(booking=first_pair).update(active=False)
    waitlist.offer_free_seats(sold_out_show.pk)
    entry.refresh_from_db()

    context, page = signed_in_page(chromium, live_server.url, customer, f"/showtimes/{sold_out_show.pk}/", PHONE)
    expect(page.locator("[data-waitlist-offer]")).to_contain_text("Pay before")
    screenshot(page, "offer")
    page.get_by_role("link", name="Pay for your seats").click()
    expect(page).to_have_url(f"{live_server.url}/bookings/{entry.booking_id}/")
    expect(page.get_by_role("button", name="Pay", exact=False).first).to_be_visible()
    screenshot(page, "offer-booking-page")
    context.close()
