"""The booking site in headless Chromium against a live server: the whole journey, and two
customers after the same seat. A screenshot of every step lands in test-results/screenshots/."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Booking
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory

from tests.support.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site_settings(settings, live_server):
    """Links the gateway builds (checkout page, return URL) point at the live server."""
    settings.SITE_URL = live_server.url
    return settings


@pytest.fixture
def feature(site_settings):
    """A movie now showing, three days ahead (full refund), in a 5x10 hall at 9.50 a seat."""
    movie = MovieFactory(title="The Grand Budapest Hotel", overview="A concierge and his lobby boy.")
    showtime = ShowtimeFactory(
        movie=movie, starts_at=timezone.now() + timedelta(days=3), price=Decimal("9.50"), currency="usd"
    )
    ShowtimeFactory(movie=movie, auditorium=showtime.auditorium, starts_at=showtime.starts_at + timedelta(days=1))
    return showtime


def sign_in(page, base, user, next_path="/"):
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pw-12345678")
    page.get_by_role("button", name="Sign in").last.click()


def seat(page, label):
    return page.locator(f'button.seat[data-label="{label}"]')


def decode_qr(png_bytes):
    import zxingcpp
    from PIL import Image

    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    return [r.text for r in results]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_whole_journey_browse_pick_hold_pay_tickets_cancel(
    chromium, live_server, feature, screenshot, viewport
):
    # Given a customer with an account, on a phone or a desktop
    customer = UserFactory(username="ada")
    context = chromium.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    base = live_server.url

    # Browse: home -> movie -> showtime
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Now showing")).to_be_visible()
    expect(page.locator(".poster-placeholder").first).to_have_text("GB")
    screenshot(page, "home")
    page.get_by_role("link", name="The Grand Budapest Hotel").first.click()
    expect(page.get_by_role("heading", name="The Grand Budapest Hotel", level=1)).to_be_visible()
    expect(page.locator(".day-heading")).to_have_count(2)
    screenshot(page, "movie")
    page.locator(".showtimes .chip").first.click()
    expect(page).to_have_url(re.compile(rf"/showtimes/{feature.pk}/$"))

    # Pick seats: real buttons that say what they are, and a running total
    c5, c6 = seat(page, "C5"), seat(page, "C6")
    expect(c5).to_have_attribute("aria-label", "C5, available")
    expect(page.locator("[data-hold-button]")).to_be_disabled()
    screenshot(page, "seat-map")
    c5.click()
    c6.click()
    expect(c5).to_have_attribute("aria-pressed", "true")
    expect(c6).to_have_attribute("aria-label", "C6, selected")
    expect(page.locator("[data-selected-labels]")).to_have_text("C5, C6")
    expect(page.locator("[data-total]")).to_have_text("$19.00")
    screenshot(page, "seats-picked")

    # Hold: sign-in first, and the picked seats survive the trip
    page.locator("[data-hold-button]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator(".messages")).to_contain_text("Please sign in to hold your seats")
    screenshot(page, "sign-in")
    page.fill("#id_username", customer.username)
    page.fill("#id_password", "pw-12345678")
    page.locator("form.form button[type=submit]").click()
    expect(seat(page, "C5")).to_have_attribute("aria-pressed", "true")
    expect(seat(page, "C6")).to_have_attribute("aria-pressed", "true")
    page.locator("[data-hold-button]").click()

    # The booking page: held, a live countdown, Pay
    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    booking = Booking.objects.get(user=customer)
    assert booking.status == "pending"
    assert sorted(bs.seat.label for bs in booking.booking_seats.select_related("seat")) == ["C5", "C6"]
    expect(page.locator(".badge")).to_contain_text("Held")
    countdown = page.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^(09:5\d|10:00)$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3000)  # it ticks
    screenshot(page, "booking-held")

    # Pay on the local gateway's page, come back paid
    page.get_by_role("button", name=re.compile(r"Pay \$19\.00")).click()
    expect(page).to_have_url(re.compile(r"/pay/local/cs_local_"))
    screenshot(page, "local-gateway")
    page.locator("#pay").click()
    expect(page).to_have_url(re.compile(rf"/bookings/{booking.pk}/"))
    expect(page.locator(".badge")).to_contain_text("Paid")
    tickets = page.locator(".ticket")
    expect(tickets).to_have_count(2)
    expect(tickets.first).to_contain_text("Seat C5")

    # Each QR image loaded and encodes that ticket's code
    booking.refresh_from_db()
    assert booking.status == "paid"
    codes = dict(booking.tickets.values_list("seat__label", "code"))
    for i, label in enumerate(["C5", "C6"]):
        img = tickets.nth(i).locator("img.ticket-qr")
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("el => el.naturalWidth") > 0
        assert decode_qr(img.screenshot()) == [codes[label]]
    screenshot(page, "tickets")

    # Cancel: the refund is shown before confirming
    page.get_by_role("link", name="Cancel this booking").click()
    expect(page.locator("[data-refund]")).to_contain_text("You will get $19.00 back")
    screenshot(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel and refund").click()
    expect(page.locator(".messages")).to_contain_text("A refund of $19.00 is on its way")
    expect(page.locator(".badge")).to_contain_text("Cancelled")
    screenshot(page, "cancelled")
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert booking.refund_amount == Decimal("19.00")

    # My bookings lists it, cancelled
    page.get_by_role("link", name="My bookings").first.click()
    expect(page.locator(".booking-item")).to_contain_text(booking.reference)
    expect(page.locator(".booking-item .badge")).to_contain_text("Cancelled")
    screenshot(page, "my-bookings")
    context.close()


def test_two_customers_same_seat_second_is_told_which_seat_went(chromium, live_server, feature, screenshot):
    # Given two signed-in customers looking at the same seat map, in two browsers
    base = live_server.url
    path = f"/showtimes/{feature.pk}/"
    first, second = UserFactory(username="first"), UserFactory(username="second")
    pages = []
    for user, viewport in ((first, DESKTOP), (second, PHONE)):
        context = chromium.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        sign_in(page, base, user, next_path=path)
        expect(page).to_have_url(base + path)
        pages.append(page)
    page_a, page_b = pages

    # Both pick D4 (and the second also D5)
    seat(page_a, "D4").click()
    seat(page_b, "D4").click()
    seat(page_b, "D5").click()
    expect(seat(page_b, "D4")).to_have_attribute("aria-pressed", "true")

    # The first one holds it
    page_a.locator("[data-hold-button]").click()
    expect(page_a).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    screenshot(page_a, "first-holds")

    # The second is told, by name, which seat was just taken; D5 is still picked, D4 shows held
    page_b.locator("[data-hold-button]").click()
    expect(page_b).to_have_url(re.compile(rf"{path}\?seats="))
    message = page_b.locator(".message-error")
    expect(message).to_contain_text("Sorry, seat D4 was just taken by someone else")
    expect(seat(page_b, "D4")).to_be_disabled()
    expect(seat(page_b, "D4")).to_have_attribute("aria-label", "D4, on hold")
    expect(seat(page_b, "D5")).to_have_attribute("aria-pressed", "true")
    screenshot(page_b, "second-told")
    assert Booking.objects.filter(user=second).count() == 0
    assert Booking.objects.get(user=first).booking_seats.get().seat.label == "D4"


def test_booking_page_shows_payment_made_elsewhere_without_reload(chromium, live_server, feature, screenshot):
    """A Stripe payment is confirmed by a webhook, after the customer is back: the page polls."""
    from bookings.payments.checkout import pay_locally, start_checkout
    from bookings.holds.services import hold_seats

    customer = UserFactory(username="poller")
    booking = hold_seats(customer, feature, [feature.auditorium.seats.get(label="A1").pk])
    session = start_checkout(booking)
    context = chromium.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    sign_in(page, live_server.url, customer, next_path=f"/bookings/{booking.pk}/")
    expect(page.locator(".badge")).to_contain_text("Held")

    pay_locally(booking, session.id)  # the webhook's path: verified, stored, processed

    expect(page.locator(".badge")).to_contain_text("Paid", timeout=10_000)
    expect(page.locator(".ticket")).to_have_count(1)
    screenshot(page, "paid-by-polling")
    context.close()


def test_seat_map_works_with_the_keyboard(chromium, live_server, feature, screenshot):
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/showtimes/{feature.pk}/")
    seat(page, "A1").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    expect(seat(page, "B2")).to_be_focused()
    page.keyboard.press("Space")
    expect(seat(page, "B2")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(seat(page, "B2")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    expect(page.locator("[data-selected-labels]")).to_have_text("B2")
    screenshot(page, "keyboard")
    context.close()


def test_language_switch_in_the_browser(chromium, live_server, feature, screenshot):
    customer = UserFactory(username="lan")
    context = chromium.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    sign_in(page, live_server.url, customer, next_path=f"/showtimes/{feature.pk}/")
    expect(page.get_by_role("heading", name="Choose your seats")).to_be_visible()
    page.select_option("#language-select", "vi")  # submits by itself
    expect(page.get_by_role("heading", name="Chọn ghế của bạn")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    seat(page, "A1").click()
    expect(seat(page, "A1")).to_have_attribute("aria-label", "A1, đã chọn")
    expect(page.locator("[data-total]")).to_have_text("$9,50")  # the page's own number format
    screenshot(page, "seat-map-vi")
    page.get_by_role("button", name="Giữ ghế").click()
    expect(page.locator(".badge")).to_contain_text("Đang giữ, chờ thanh toán")
    expect(page.get_by_role("button", name="Thanh toán $9,50")).to_be_visible()
    screenshot(page, "booking-vi")
    customer.refresh_from_db()
    assert customer.language == "vi"
    context.close()


def test_seats_can_be_picked_and_held_without_javascript(chromium, live_server, feature, screenshot):
    customer = UserFactory(username="nojs")
    context = chromium.new_context(viewport=PHONE, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server.url, customer, next_path=f"/showtimes/{feature.pk}/")
    seat(page, "B3").click()  # each click is a GET that toggles the seat
    expect(seat(page, "B3")).to_have_attribute("aria-pressed", "true")
    seat(page, "B4").click()
    expect(page.locator("[data-selected-labels]")).to_have_text("B3, B4")
    expect(page.locator("[data-total]")).to_have_text("$19.00")
    screenshot(page, "no-js-picked")
    page.locator("[data-hold-button]").click()
    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.locator(".seat-labels")).to_have_text("B3, B4")
    context.close()


def test_a_missing_page_is_friendly(chromium, live_server, screenshot):
    context = chromium.new_context(viewport=PHONE, locale="en-US")
    page = context.new_page()
    response = page.goto(f"{live_server.url}/bookings/00000000-0000-0000-0000-000000000000/nope/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="We couldn't find that page")).to_be_visible()
    expect(page.get_by_role("link", name="Back to the movies")).to_be_visible()
    screenshot(page, "404")
    context.close()


def test_no_more_seats_than_a_booking_may_hold_can_be_picked(chromium, live_server, feature, settings):
    settings.MAX_SEATS_PER_BOOKING = 2
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/showtimes/{feature.pk}/")
    for label in ("E1", "E2", "E3"):
        seat(page, label).click()
    expect(seat(page, "E3")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("[data-selected-labels]")).to_have_text("You can pick up to 2 seats per booking.")
    expect(page.locator("[data-total]")).to_have_text("$19.00")
    seat(page, "E1").click()  # unpicking one makes room again
    seat(page, "E3").click()
    expect(page.locator("[data-selected-labels]")).to_have_text("E2, E3")
    context.close()
