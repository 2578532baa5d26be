"""The seat picker draws the hall as it is (aisles, categories with prices, wheelchair and companion
seats), fits a phone's width, keeps the legend clear of the sticky summary, names every seat with
its visible text, prices tickets by type, and works from the keyboard across aisles."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from cinema.models import TicketType
from cinema.services import create_auditorium, set_showtime_prices
from tests.factories import MovieFactory, ShowtimeFactory

from tests.support.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 10 rows of 16 seats with two aisles, a premium back row, two wheelchair spaces with companions.
WIDE = {"rows": [
    {"label": chr(65 + r), **({"category": "premium"} if r == 9 else {}), "seats": [
        *([{"number": 1, "kind": "wheelchair"}, {"number": 2, "kind": "companion"}, 3, 4] if r == 0 else [1, 2, 3, 4]),
        None, *range(5, 13), None,
        *([13, 14, {"number": 15, "kind": "companion"}, {"number": 16, "kind": "wheelchair"}] if r == 0 else [13, 14, 15, 16]),
    ]}
    for r in range(10)
]}


@pytest.fixture
def wide_showtime(live_server, settings):
    settings.SITE_URL = live_server.url
    hall = create_auditorium(name="Wide", layout=WIDE)
    showtime = ShowtimeFactory(movie=MovieFactory(title="Paper Moons"), auditorium=hall,
                               starts_at=timezone.now() + timedelta(days=2), price=Decimal("11.00"))
    types = {t.code: t for t in TicketType.objects.all()}
    set_showtime_prices(showtime, [(types["adult"], "premium", Decimal("14.00")),
                                   (types["child"], "", Decimal("7.50")),
                                   (types["child"], "premium", Decimal("10.00"))])
    return showtime


def seat(page, label):
    return page.locator(f'button.seat[data-label="{label}"]')


def box(page, label):
    return seat(page, label).bounding_box()


def open_page(chromium, showtime, viewport, locale="en-US"):
    context = chromium.new_context(viewport=viewport, locale=locale)
    page = context.new_page()
    page.goto(showtime_url(showtime))
    return context, page


def showtime_url(showtime):
    from django.conf import settings

    return f"{settings.SITE_URL}/showtimes/{showtime.pk}/"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_hall_is_drawn_as_it_is_and_fits_the_screen(chromium, wide_showtime, screenshot, viewport):
    context, page = open_page(chromium, wide_showtime, viewport)

    # Aisles are gaps one seat wide: A4 -> A5 is two steps where A5 -> A6 is one.
    step = box(page, "B6")["x"] - box(page, "B5")["x"]
    assert box(page, "B5")["x"] - box(page, "B4")["x"] == pytest.approx(2 * step, rel=0.05)
    assert box(page, "B13")["x"] - box(page, "B12")["x"] == pytest.approx(2 * step, rel=0.05)
    # Rows line up: B5 sits under A5.
    assert box(page, "B5")["x"] == pytest.approx(box(page, "A5")["x"], abs=0.5)
    # Categories by colour, with their price in the legend.
    standard = seat(page, "A5").evaluate("b => getComputedStyle(b).borderTopColor")
    premium = seat(page, "J5").evaluate("b => getComputedStyle(b).borderTopColor")
    assert standard != premium
    expect(page.locator(".legend")).to_contain_text("Standard · $11.00")
    expect(page.locator(".legend")).to_contain_text("Premium · $14.00")
    # Wheelchair and companion seats with their symbols, and said in their names.
    expect(seat(page, "A1").locator(".seat-symbol")).to_have_text("♿")
    expect(seat(page, "A2").locator(".seat-symbol")).to_have_text("⚭")
    expect(seat(page, "A1")).to_have_accessible_name("Row A, seat 1, Standard, wheelchair space, $11.00, available")
    expect(seat(page, "J7")).to_have_accessible_name("Row J, seat 7, Premium, $14.00, available")
    # The whole hall fits the width: nothing scrolls sideways.
    widths = page.evaluate("""() => { const s = document.querySelector('.seat-scroll');
        return [document.documentElement.scrollWidth, window.innerWidth, s.scrollWidth, s.clientWidth]; }""")
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths
    screenshot(page, "hall", full_page=False)
    screenshot(page, "hall-full")
    context.close()


def test_the_sticky_summary_never_covers_the_legend_on_a_phone(chromium, wide_showtime, screenshot):
    context, page = open_page(chromium, wide_showtime, PHONE)
    for label in ("J7", "J8", "E9"):
        seat(page, label).click()
    overlaps = []
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height, 25):
        page.evaluate(f"window.scrollTo(0, {y})")
        overlap = page.evaluate("""() => {
            const a = document.querySelector('.legend').getBoundingClientRect();
            const b = document.querySelector('.booking-bar').getBoundingClientRect();
            const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            return w > 0 && h > 0 && a.bottom > 0 && a.top < window.innerHeight ? h : 0; }""")
        if overlap:
            overlaps.append((y, overlap))
    assert overlaps == []
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "phone-top-with-summary", full_page=False)
    context.close()


def test_every_seat_is_named_with_its_visible_text(chromium, wide_showtime):
    context, page = open_page(chromium, wide_showtime, PHONE)
    seat(page, "C7").click()
    results = Axe().run(page, options={
        "runOnly": {"type": "rule", "values": ["label-content-name-mismatch", "button-name", "aria-allowed-attr"]},
        "resultTypes": ["violations", "passes"],
    }).response
    assert results["violations"] == []
    named = next(r for r in results["passes"] if r["id"] == "button-name")
    assert len(named["nodes"]) >= 160  # every seat button has a name (and no aria-label to mismatch)
    # The name is the button's text: the visible number is inside it (WCAG 2.5.3, label in name).
    mismatched = page.evaluate("""() => [...document.querySelectorAll('button.seat')].filter(b => {
        const shown = [...b.querySelectorAll('[aria-hidden=true]')].map(e => e.textContent.trim()).join('');
        const named = [...b.childNodes].filter(n => !(n.getAttribute && n.getAttribute('aria-hidden'))).map(n => n.textContent).join('');
        return !/^[0-9]+$/.test(shown) ? false : !named.includes(' ' + shown + ',');
      }).map(b => b.dataset.label)""")
    assert mismatched == []
    context.close()


def test_ticket_types_price_the_picked_seats(chromium, wide_showtime, screenshot):
    context, page = open_page(chromium, wide_showtime, DESKTOP)
    seat(page, "J7").click()
    seat(page, "E7").click()
    expect(page.locator("#tickets-adult")).to_have_value("2")
    expect(page.locator("[data-total]")).to_have_text("$25.00")  # 11.00 standard + 14.00 premium
    page.fill("#tickets-child", "1")
    # Reading order: E7 (front) takes the child ticket, J7 stays adult premium.
    expect(page.locator("#tickets-adult")).to_have_value("1")
    expect(page.locator("[data-total]")).to_have_text("$21.50")
    page.fill("#tickets-child", "3")
    expect(page.locator("[data-selected-labels]")).to_have_text("You chose more tickets than seats.")
    expect(page.locator("[data-hold-button]")).to_be_disabled()
    expect(page.locator("#tickets-senior")).to_have_count(0)  # no senior price at this showtime
    screenshot(page, "ticket-types", full_page=False)
    context.close()


def test_arrow_keys_cross_aisles_and_find_the_nearest_seat_in_the_next_row(chromium, wide_showtime):
    context, page = open_page(chromium, wide_showtime, DESKTOP)
    seat(page, "B4").focus()
    page.keyboard.press("ArrowRight")
    expect(seat(page, "B5")).to_be_focused()  # over the aisle
    page.keyboard.press("End")
    expect(seat(page, "B16")).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(seat(page, "A16")).to_be_focused()
    page.keyboard.press("Space")
    expect(seat(page, "A16")).to_have_attribute("aria-pressed", "true")
    expect(seat(page, "A16")).to_have_accessible_name(re.compile(r"wheelchair space, \$11\.00, selected$"))
    context.close()


def test_the_hall_in_vietnamese(chromium, wide_showtime, screenshot):
    context, page = open_page(chromium, wide_showtime, PHONE, locale="vi-VN")
    page.goto(f"{showtime_url(wide_showtime)}")
    page.select_option("#language-select", "vi")
    expect(page.locator(".legend")).to_contain_text("Cao cấp")
    expect(page.locator(".legend")).to_contain_text("Chỗ cho xe lăn")
    expect(page.locator("label[for=tickets-child]")).to_contain_text("Trẻ em")
    expect(page.get_by_role("button", name="Ghế đẹp nhất")).to_be_visible()
    expect(seat(page, "A1")).to_have_accessible_name(re.compile(r"^Hàng A, ghế 1, Thường, chỗ cho xe lăn"))
    screenshot(page, "hall-vi", full_page=False)
    context.close()


def signed_in(chromium, showtime, username, viewport):
    """(context, page, user): a customer signed in through the login page, on the seat picker."""
    from django.conf import settings

    from tests.factories import UserFactory

    customer = UserFactory(username=username)
    context = chromium.new_context(viewport=viewport, locale="en-US")
    page = context.new_page()
    page.goto(f"{settings.SITE_URL}/accounts/login/")
    page.fill("#id_username", customer.username)
    page.fill("#id_password", "pw-12345678")
    page.get_by_role("button", name="Sign in").last.click()
    page.goto(showtime_url(showtime))
    return context, page, customer


def test_picked_seats_are_held_with_the_ticket_types_chosen(chromium, wide_showtime, screenshot):
    from bookings.models import Booking

    context, page, customer = signed_in(chromium, wide_showtime, "family", PHONE)
    seat(page, "J7").click()
    seat(page, "E7").click()
    page.fill("#tickets-child", "1")
    expect(page.locator("[data-total]")).to_have_text("$21.50")
    page.locator("[data-hold-button]").click()

    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    booking = Booking.objects.get(user=customer)
    assert sorted(booking.booking_seats.values_list("seat__label", "ticket_type_id", "price")) == [
        ("E7", "child", Decimal("7.50")), ("J7", "adult", Decimal("14.00"))]
    assert booking.total == Decimal("21.50")
    screenshot(page, "held-with-types", full_page=False)
    context.close()


def test_best_seats_holds_the_counted_tickets_side_by_side(chromium, wide_showtime, screenshot):
    from bookings.models import Booking

    context, page, customer = signed_in(chromium, wide_showtime, "best", DESKTOP)
    page.fill("#tickets-adult", "1")
    page.fill("#tickets-child", "1")
    page.get_by_role("button", name="Best seats").click()

    expect(page).to_have_url(re.compile(r"/bookings/[0-9a-f-]{36}/$"))
    expect(page.locator(".seat-labels")).to_have_text("G8, G9")  # two thirds back, mid-row
    booking = Booking.objects.get(user=customer)
    assert sorted(booking.booking_seats.values_list("seat__label", "ticket_type_id")) == [("G8", "child"), ("G9", "adult")]
    screenshot(page, "best-seats-held", full_page=False)
    context.close()
