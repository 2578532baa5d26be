"""The admin's front page charts and the showtime page's seat map (figures and markup)."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings.models import Booking, BookingSeat
from notifications.models import EmailMessage
from reports.dashboard import snapshot
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory

pytestmark = pytest.mark.django_db


def at(day, hour):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=hour)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def week(make_booking):
    """A showtime 3 days ago (2 of 50 sold, one refunded in half) and one in 2 days (5 of 50 sold)."""
    today = timezone.localdate()
    past = ShowtimeFactory(movie=MovieFactory(title="Past Film"), starts_at=at(today - timedelta(days=3), 18))
    future = ShowtimeFactory(movie=MovieFactory(title="Future Film"), starts_at=at(today + timedelta(days=2), 18))
    make_booking(past, 2, Booking.Status.PAID)
    make_booking(past, 2, Booking.Status.CANCELLED, refund=Decimal("9.50"), first_seat=2)
    make_booking(future, 5, Booking.Status.PAID)
    for status, n in (("sent", 3), ("dead", 1), ("pending", 2)):
        for i in range(n):
            EmailMessage.objects.create(kind="new_movie", to=f"{status}{i}@example.com", subject="s",
                                        status=status, idempotency_key=f"{status}{i}")
    return today, past, future


def test_snapshot_has_29_days_with_occupancy_and_sales_and_movies_and_outbox(week):
    today, past, future = week

    data = snapshot()

    days = {d["day"]: d for d in data["sales"]["by_day"]}
    assert len(days) == 29 and data["sales"]["from"] == str(today - timedelta(days=14))
    three_ago = days[str(today - timedelta(days=3))]
    assert (three_ago["capacity"], three_ago["sold"], three_ago["occupancy_pct"], three_ago["past"]) == (50, 2, 4.0, True)
    assert three_ago["gross"] == {"usd": "38.00"} and three_ago["net"] == {"usd": "28.50"}
    in_two = days[str(today + timedelta(days=2))]
    assert (in_two["sold"], in_two["occupancy_pct"], in_two["net"]) == (5, 10.0, {"usd": "47.50"})
    assert days[str(today)]["today"] and days[str(today)]["capacity"] == 0
    assert data["sales"]["by_movie"] == [{"movie": "Future Film", "net": {"usd": "47.50"}},
                                         {"movie": "Past Film", "net": {"usd": "28.50"}}]
    assert {r["status"]: r["count"] for r in data["outbox"]} == {"pending": 2, "sending": 0, "sent": 3, "failed": 0, "dead": 1}


def test_admin_index_carries_the_figures_as_json_and_tables_and_no_inline_script(admin_client, week):
    html = admin_client.get("/admin/").content.decode()

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    inline = [attrs for attrs, body in scripts if body.strip() and 'type="application/json"' not in attrs]
    assert inline == []
    assert any("reports/vendor/chart.js-4.6.1/chart.umd.min.js" in attrs for attrs, _ in scripts)
    data = json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert len(data["sales"]["by_day"]) == 29
    for chart in ("chart-occupancy", "chart-sales-day", "chart-sales-movie", "chart-outbox"):
        assert f'id="{chart}"' in html
    assert html.count('<details class="chart-table" open>') == 4  # readable without JavaScript
    assert "<td>Future Film</td><td>47.50</td>" in html
    assert '<td class="outbox-dead">1</td>' in html


def test_the_dashboard_is_not_computed_for_a_non_staff_request(rf, week):
    from django.template import Context, Template

    request = rf.get("/admin/")
    request.user = UserFactory()
    rendered = Template("{% load backoffice %}{% staff_dashboard as d %}{{ d|default:'none' }}").render(
        Context({"request": request}))

    assert rendered == "none"


def test_the_showtime_page_draws_its_seat_map_with_sold_and_held_seats(admin_client, make_booking):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(days=1))
    make_booking(showtime, 2, Booking.Status.PAID)  # A1, A2 sold
    hold = make_booking(showtime, 1, Booking.Status.PENDING, paid=False, first_seat=4)  # A5 held
    BookingSeat.objects.filter(booking=hold).update(active=True, expires_at=timezone.now() + timedelta(minutes=5))
    lapsed = make_booking(showtime, 1, Booking.Status.PENDING, paid=False, first_seat=6)  # A7: hold ran out
    BookingSeat.objects.filter(booking=lapsed).update(active=True, expires_at=timezone.now() - timedelta(minutes=1))
    BookingSeat.objects.filter(booking__status=Booking.Status.PAID).update(expires_at=None)

    html = admin_client.get(f"/admin/cinema/showtime/{showtime.pk}/change/").content.decode()

    assert re.search(r'class="seat seat-sold"[^>]*data-seat="A1"', html)
    assert re.search(r'class="seat seat-sold"[^>]*data-seat="A2"', html)
    assert re.search(r'class="seat seat-held"[^>]*data-seat="A5"', html)
    assert re.search(r'class="seat seat-available"[^>]*data-seat="A7"', html)
    assert html.count('role="row"') == 5 and html.count('role="cell"') == 50
    assert '<strong id="seats-sold">2</strong>' in html and '<strong id="seats-held">1</strong>' in html
    assert "reports/seat-map.css" in html
