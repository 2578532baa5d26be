"""The admin's charts and seat map in headless Chromium, under a strict Content-Security-Policy
(no inline script allowed): every chart is drawn, nothing fails in the console. Screenshots go to
test-results/screenshots/<test>/ to be looked at."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingSeat
from notifications.models import EmailMessage
from tests.factories import AuditoriumFactory, MovieFactory, ShowtimeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
CHARTS = ["chart-occupancy", "chart-sales-day", "chart-sales-movie", "chart-outbox"]


def at(day, hour):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=hour)


@pytest.fixture
def month_of_sales(make_booking):
    """Two halls, three movies, a showtime a day from 14 days ago to 14 days ahead, sales rising."""
    today = timezone.localdate()
    halls = [AuditoriumFactory(rows=4, seats_per_row=10), AuditoriumFactory(rows=3, seats_per_row=8)]
    movies = [MovieFactory(title=t) for t in ("Neon Harbour", "Paper Moons", "The Quiet Orchard")]
    for offset in range(-14, 15):
        day = today + timedelta(days=offset)
        for h, hall in enumerate(halls):
            showtime = ShowtimeFactory(movie=movies[(offset + h) % 3], auditorium=hall, starts_at=at(day, 14 + 4 * h),
                                       price=Decimal("9.50"))
            sold = max(1, (offset + 15) % 9 + h * 3) if offset <= 7 else 0
            make_booking(showtime, sold, Booking.Status.PAID)
            if offset % 4 == 0 and sold:
                make_booking(showtime, 2, Booking.Status.CANCELLED, refund=Decimal("9.50"), first_seat=sold)
    for status, n in (("sent", 40), ("pending", 4), ("failed", 3), ("dead", 2), ("sending", 1)):
        EmailMessage.objects.bulk_create(
            EmailMessage(kind="new_movie", to=f"{status}{i}@example.com", subject="s", status=status,
                         idempotency_key=f"{status}{i}") for i in range(n)
        )
    return halls, movies


def staff_page(chromium, live_server):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def with_csp(route):
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route(f"{live_server.url}/admin/**", with_csp)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-12345678")
    page.click("input[type=submit]")
    return page, errors


def test_the_front_page_draws_four_charts_under_a_strict_csp(chromium, live_server, settings, month_of_sales, screenshot):
    settings.DEBUG = True  # static files through the finders, as in development
    page, errors = staff_page(chromium, live_server)

    page.wait_for_selector("#chart-outbox.drawn")

    for chart in CHARTS:
        box = page.locator(f"#{chart} .chart-box")
        assert box.is_visible()
        painted = page.evaluate(
            """id => { const c = document.querySelector('#' + id + ' canvas');
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }""", chart)
        assert painted > 1000, chart
        assert not page.locator(f"#{chart} details").get_attribute("open")  # the table is folded, still there
    assert errors == []
    screenshot(page, "admin-front-page-charts")
    page.locator("#chart-occupancy details summary").click()
    assert page.locator("#chart-occupancy table").is_visible()


def test_the_tables_are_there_without_javascript(chromium, live_server, month_of_sales, screenshot):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-12345678")
    page.click("input[type=submit]")

    for chart in CHARTS:
        assert page.locator(f"#{chart} table").is_visible()
        assert not page.locator(f"#{chart} .chart-box").is_visible()
    assert page.locator("#chart-sales-movie tbody tr").count() == 3
    screenshot(page, "admin-front-page-without-js")


def test_the_showtime_page_draws_its_seat_map(chromium, live_server, make_booking, screenshot):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(days=1), auditorium=AuditoriumFactory(rows=6, seats_per_row=12))
    make_booking(showtime, 6, Booking.Status.PAID, first_seat=28)
    make_booking(showtime, 3, Booking.Status.PAID, first_seat=40)
    hold = make_booking(showtime, 2, Booking.Status.PENDING, paid=False, first_seat=50)
    BookingSeat.objects.filter(booking=hold).update(active=True, expires_at=timezone.now() + timedelta(minutes=5))
    BookingSeat.objects.filter(booking__status=Booking.Status.PAID).update(expires_at=None)
    page, errors = staff_page(chromium, live_server)

    page.goto(f"{live_server.url}/admin/cinema/showtime/{showtime.pk}/change/")

    assert page.locator(".seat-map .seat-sold").count() == 9
    assert page.locator(".seat-map .seat-held").count() == 2
    colour = page.locator('.seat-map [data-seat="C5"]').evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(186, 33, 33)"
    assert errors == []
    page.locator("#seat-map").scroll_into_view_if_needed()
    screenshot(page, "showtime-seat-map")
