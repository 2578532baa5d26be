"""The sales report: one row per showtime, sums that match the bookings to the unit."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook

from bookings.models import Booking
from reports import services
from reports.models import Report
from reports.selectors import SALES_COLUMNS
from tests.factories import AuditoriumFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

PAID, CANCELLED, EXPIRED = Booking.Status.PAID, Booking.Status.CANCELLED, Booking.Status.EXPIRED


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=3)


@pytest.fixture
def usd_showtime(day):
    starts = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=18)
    return ShowtimeFactory(starts_at=starts, price=Decimal("9.50"), currency="usd")


@pytest.fixture
def vnd_showtime(day):
    starts = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=20)
    return ShowtimeFactory(starts_at=starts, price=Decimal("95000"), currency="vnd",
                           auditorium=AuditoriumFactory(rows=2, seats_per_row=3))


def build(day, fmt="csv", date_to=None):
    report = Report.objects.create(date_from=day, date_to=date_to or day, format=fmt)
    assert services.build_report(report.pk) == Report.Status.READY
    report.refresh_from_db()
    return report


def csv_rows(report):
    with default_storage.open(report.file.name, "rb") as f:
        return list(csv.DictReader(io.TextIOWrapper(f, encoding="utf-8")))


def test_rows_sum_paid_cancelled_with_partial_refund_expired_and_zero_decimal(
    make_booking, usd_showtime, vnd_showtime, day
):
    make_booking(usd_showtime, 2, PAID)  # 19.00
    make_booking(usd_showtime, 3, CANCELLED, refund=Decimal("14.25"), first_seat=2)  # paid 28.50, half back
    make_booking(usd_showtime, 1, EXPIRED, paid=False, first_seat=5)  # never paid: not a sale
    make_booking(usd_showtime, 1, CANCELLED, refund=Decimal("9.50"), refund_status="pending", first_seat=6)
    make_booking(vnd_showtime, 2, PAID)  # 190000 dong

    rows = csv_rows(build(day))

    assert list(rows[0]) == SALES_COLUMNS
    assert [r["showtime_id"] for r in rows] == [str(usd_showtime.pk), str(vnd_showtime.pk)]
    usd, vnd = rows
    assert usd["movie"] == usd_showtime.movie.title and usd["auditorium"] == usd_showtime.auditorium.name
    assert (usd["capacity"], usd["tickets_sold"], usd["occupancy_pct"]) == ("50", "2", "4.0")
    # gross: 19.00 + 28.50 + 9.50 (paid, then cancelled; its refund is not through yet)
    assert (usd["gross"], usd["refunded"], usd["net"], usd["currency"]) == ("57.00", "14.25", "42.75", "usd")
    assert (vnd["capacity"], vnd["tickets_sold"], vnd["occupancy_pct"]) == ("6", "2", "33.3")
    assert (vnd["gross"], vnd["refunded"], vnd["net"], vnd["currency"]) == ("190000", "0", "190000", "vnd")
    assert usd["starts_at"] == timezone.localtime(usd_showtime.starts_at).isoformat()


def test_totals_match_the_bookings_to_the_unit(make_booking, usd_showtime, day):
    for i, refund in enumerate([None, Decimal("4.75"), Decimal("9.50"), None]):
        status = CANCELLED if refund else PAID
        make_booking(usd_showtime, 1, status, refund=refund, first_seat=i)
    make_booking(usd_showtime, 1, CANCELLED, paid=False, first_seat=9)  # cancelled while pending

    (row,) = csv_rows(build(day))

    paid = Booking.objects.filter(paid_at__isnull=False)
    assert Decimal(row["gross"]) == sum(b.total for b in paid)
    assert Decimal(row["refunded"]) == sum(b.refund_amount or 0 for b in paid)
    assert Decimal(row["net"]) == Decimal(row["gross"]) - Decimal(row["refunded"]) == Decimal("23.75")
    assert int(row["tickets_sold"]) == 2


def test_a_late_payment_refunded_in_full_counts_in_and_out(make_booking, usd_showtime, day):
    make_booking(usd_showtime, 2, EXPIRED, paid=False, refund=Decimal("19.00"), late_payment="refunded")

    (row,) = csv_rows(build(day))

    assert (row["gross"], row["refunded"], row["net"], row["tickets_sold"]) == ("19.00", "19.00", "0.00", "0")


def test_only_showtimes_starting_within_the_dates_in_the_time_zone(settings, make_booking, day):
    settings.TIME_ZONE = "Asia/Ho_Chi_Minh"
    tz = timezone.get_default_timezone()
    inside = ShowtimeFactory(starts_at=timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()), tz))
    ShowtimeFactory(starts_at=inside.starts_at - timedelta(minutes=1))  # 23:59 the day before, local time
    ShowtimeFactory(starts_at=inside.starts_at + timedelta(days=1))  # 00:00 the day after

    rows = csv_rows(build(day))

    assert [int(r["showtime_id"]) for r in rows] == [inside.pk]
    assert rows[0]["starts_at"].endswith("+07:00")


def test_xlsx_has_the_same_rows_with_numbers(make_booking, usd_showtime, vnd_showtime, day):
    make_booking(usd_showtime, 3, CANCELLED, refund=Decimal("14.25"))
    make_booking(vnd_showtime, 1, PAID)

    report = build(day, fmt="xlsx")

    with default_storage.open(report.file.name, "rb") as f:
        sheet = load_workbook(f, read_only=True).active
        header, usd, vnd = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == SALES_COLUMNS
    assert usd[7:] == [28.5, 14.25, 14.25, "usd"]  # numbers a spreadsheet can sum
    assert vnd[7:] == [95000, 0, 95000, "vnd"]
    assert report.filename.endswith(".xlsx")


def test_pages_through_showtimes_with_a_query_count_that_does_not_grow_with_bookings(monkeypatch, make_booking, day):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    auditorium = AuditoriumFactory()
    start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
    showtimes = [ShowtimeFactory(auditorium=auditorium, starts_at=start + timedelta(hours=3 * i)) for i in range(5)]

    def queries_of_a_build():
        report = Report.objects.create(date_from=day, date_to=day)
        with CaptureQueriesContext(connection) as captured:
            services.build_report(report.pk)
        report.refresh_from_db()
        return len(captured), csv_rows(report)

    for showtime in showtimes:
        make_booking(showtime, 1, PAID)
    few, _ = queries_of_a_build()
    for showtime in showtimes:
        for seat in range(1, 10):
            make_booking(showtime, 1, PAID, first_seat=seat)
    many, rows = queries_of_a_build()

    # 3 pages of 5 queries (showtimes, money, tickets, capacities, progress) and a few fixed ones.
    assert few == many <= 3 * 5 + 8
    assert [int(r["showtime_id"]) for r in rows] == [s.pk for s in showtimes]
    assert all(r["tickets_sold"] == "10" and r["gross"] == "95.00" for r in rows)


def test_a_failed_build_says_why_and_can_be_requested_again(settings, tmp_path, usd_showtime, day, staff_user):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocked)
    report = Report.objects.create(date_from=day, date_to=day)

    assert services.build_report(report.pk) == Report.Status.FAILED

    report.refresh_from_db()
    assert report.status == Report.Status.FAILED and report.file.name == ""
    assert "Error" in report.error and report.finished_at is not None
    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert services.build_report(report.pk) == Report.Status.READY  # a redelivered build starts afresh
    again = services.request_report(user=staff_user, date_from=day, date_to=day)
    assert services.build_report(again.pk) == Report.Status.READY


def test_a_ready_report_is_not_built_twice(usd_showtime, day):
    report = build(day)
    name = report.file.name

    assert services.build_report(report.pk) is None
    report.refresh_from_db()
    assert report.file.name == name and default_storage.exists(name)
