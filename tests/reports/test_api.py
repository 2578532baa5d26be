"""The reports API: staff request, a real worker builds, staff download; nobody else."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from bookings.models import Booking
from reports import services
from reports.models import Report
from tests.support.waiting import wait_for
from tests.factories import ShowtimeFactory

from tests.support.urls import REPORTS, report_url

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"id", "kind", "status", "progress", "download_url", "error", "created_at", "finished_at"}


def body(day, **overrides):
    return {"kind": "sales", "date_from": str(day), "date_to": str(day), "format": "csv", **overrides}


def test_staff_request_is_built_by_a_worker_and_downloaded(celery_worker, staff_client, make_booking):
    showtime = ShowtimeFactory(starts_at=timezone.now() + timedelta(days=1), price=Decimal("9.50"))
    make_booking(showtime, 2, Booking.Status.PAID)
    day = timezone.localtime(showtime.starts_at).date()

    response = staff_client.post(REPORTS, body(day), format="json")

    assert response.status_code == 202
    created = response.json()
    assert CONTRACT_FIELDS <= set(created)
    assert (created["status"], created["download_url"], created["kind"]) == ("pending", None, "sales")
    ready = wait_for(lambda: (r := staff_client.get(report_url(created["id"])).json())["status"] == "ready" and r,
                     what="report ready")
    assert ready["progress"] == 100 and ready["finished_at"] and ready["error"] == ""
    download = staff_client.get(ready["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert f'filename="sales_{day}_{day}.csv"' in download["Content-Disposition"]
    (row,) = csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode()))
    assert (row["showtime_id"], row["tickets_sold"], row["gross"]) == (str(showtime.pk), "2", "19.00")


def test_xlsx_download_has_the_spreadsheet_type(staff_client, showtime):
    day = timezone.localdate()
    report = Report.objects.create(date_from=day, date_to=day, format="xlsx")
    services.build_report(report.pk)

    download = staff_client.get(f"{report_url(report.pk)}download/")

    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert b"".join(download.streaming_content)[:2] == b"PK"


@pytest.mark.parametrize("overrides", [
    {"date_from": "2026-02-01", "date_to": "2026-01-31"},
    {"date_from": "2026-01-01", "date_to": "2027-01-02"},
    {"format": "pdf"},
    {"kind": "attendance"},
    {"date_from": "yesterday"},
])
def test_bad_requests_are_400_and_create_nothing(staff_client, overrides):
    response = staff_client.post(REPORTS, body(date(2026, 1, 1), **overrides), format="json")

    assert response.status_code == 400
    assert {"detail", "code"} <= set(response.json())
    assert not Report.objects.exists()


def test_a_bad_range_names_its_code(staff_client):
    response = staff_client.post(REPORTS, body(date(2026, 2, 1), date_to="2026-01-31"), format="json")

    assert response.json()["code"] == "invalid_date_range"
    assert "date_to is before date_from" in response.json()["detail"]


def test_a_range_of_366_days_is_allowed(staff_client):
    response = staff_client.post(REPORTS, body(date(2028, 1, 1), date_to="2028-12-31"), format="json")

    assert response.status_code == 202


def test_only_staff_request_read_or_download(anon_client, user_client, staff_client, showtime):
    day = timezone.localdate()
    report = Report.objects.create(date_from=day, date_to=day)
    services.build_report(report.pk)
    download = f"{report_url(report.pk)}download/"

    for client, expected in ((anon_client, 401), (user_client, 403)):
        assert client.post(REPORTS, body(day), format="json").status_code == expected
        assert client.get(report_url(report.pk)).status_code == expected
        assert client.get(download).status_code == expected
    assert staff_client.get(download).status_code == 200
    assert staff_client.get(f"{report_url(Report().pk)}download/").status_code == 404


def test_download_is_404_until_ready(staff_client):
    report = Report.objects.create(date_from=date(2026, 1, 1), date_to=date(2026, 1, 1))

    assert staff_client.get(report_url(report.pk)).json()["download_url"] is None
    assert staff_client.get(f"{report_url(report.pk)}download/").status_code == 404


def test_files_are_deleted_after_the_retention_days(settings, staff_user, showtime):
    settings.REPORT_RETENTION_DAYS = 7
    day = timezone.localdate()
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        old = services.request_report(user=staff_user, date_from=day, date_to=day)
        services.build_report(old.pk)
    with time_machine.travel(timezone.now() - timedelta(days=6)):
        recent = services.request_report(user=staff_user, date_from=day, date_to=day)
        services.build_report(recent.pk)
    old_file = Report.objects.get(pk=old.pk).file.name
    assert default_storage.exists(old_file)

    assert services.delete_old_reports() == 1

    assert not default_storage.exists(old_file)
    assert list(Report.objects.values_list("pk", flat=True)) == [recent.pk]
    assert default_storage.exists(Report.objects.get(pk=recent.pk).file.name)


def test_the_clean_up_is_scheduled_daily_after_migrate():
    task = PeriodicTask.objects.get(name="reports.delete_old_reports")

    assert task.task == "reports.delete_old_reports" and task.enabled
    assert (task.interval.every, task.interval.period) == (1, "days")


def test_staff_request_a_report_in_the_admin(client, staff_user, django_capture_on_commit_callbacks):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/admin/reports/report/add/", {
            "kind": "sales", "format": "xlsx", "date_from": "2026-03-01", "date_to": "2026-03-31",
        })

    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.format, report.status, report.requested_by) == ("xlsx", "pending", staff_user)
    assert len(callbacks) == 1  # the build is enqueued after commit
    bad = client.post("/admin/reports/report/add/", {
        "kind": "sales", "format": "csv", "date_from": "2026-03-31", "date_to": "2026-03-01",
    })
    assert bad.status_code == 200 and "date_to is before date_from" in bad.content.decode()
    assert Report.objects.count() == 1


def test_a_report_whose_enqueue_was_lost_is_built_after_the_sweep(celery_worker, settings, staff_user, showtime):
    settings.REQUEUE_STALE_AFTER_SECONDS = 300
    day = timezone.localdate()
    with time_machine.travel(timezone.now() - timedelta(minutes=6)):
        lost = Report.objects.create(date_from=day, date_to=day)  # as if the broker was away
    fresh = Report.objects.create(date_from=day, date_to=day)

    assert services.requeue_stale_reports() == 1

    wait_for(lambda: Report.objects.get(pk=lost.pk).status == "ready", what="swept report built")
    assert Report.objects.get(pk=fresh.pk).status == "pending"  # younger than the cutoff: left alone


def test_a_duplicate_delivery_does_not_build_twice_but_a_dead_build_is_taken_over(settings, showtime):
    settings.REPORT_TIME_LIMIT_SECONDS = 600
    day = timezone.localdate()
    report = Report.objects.create(date_from=day, date_to=day, status="running", started_at=timezone.now())

    assert services.build_report(report.pk) is None  # another worker is on it
    Report.objects.filter(pk=report.pk).update(started_at=timezone.now() - timedelta(seconds=661))
    assert services.build_report(report.pk) == "ready"  # past its time limit: its worker is gone


def test_the_sweeps_are_scheduled_after_migrate():
    reports = PeriodicTask.objects.get(name="reports.requeue_stale_reports")
    posters = PeriodicTask.objects.get(name="cinema.requeue_stale_posters")

    assert reports.enabled and (reports.interval.every, reports.interval.period) == (5, "minutes")
    assert posters.enabled and (posters.interval.every, posters.interval.period) == (5, "minutes")
