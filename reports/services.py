"""Operations on reports: request one, build it (in a worker), delete old ones.

A build writes a local temporary file a page of showtimes at a time, then hands it to Django's
storage (FileSystemStorage under MEDIA_ROOT by default, a cloud backend by setting). Memory stays
flat whatever the number of bookings: sums come from the database, rows go straight to the file."""

import logging
import os
import tempfile
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.money import amount_string, quantum
from core.tasks import enqueue_on_commit, send_tasks_safely, task_named

from . import selectors
from .models import Report
from .writers import open_writer

logger = logging.getLogger(__name__)

MAX_RANGE_DAYS = 366
PAGE_SIZE = 500


def validate_range(date_from, date_to):
    if date_to < date_from:
        raise ValidationError("date_to is before date_from.", code="invalid_date_range")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise ValidationError(f"The range is over {MAX_RANGE_DAYS} days.", code="invalid_date_range")


def request_report(*, user, date_from, date_to, format=Report.Format.CSV, kind=Report.Kind.SALES):
    """A pending report row; its build is enqueued once the row is committed."""

    validate_range(date_from, date_to)
    report = Report.objects.create(
        kind=kind, format=format, date_from=date_from, date_to=date_to,
        requested_by=user if user is not None and user.is_authenticated else None,
    )
    enqueue_on_commit(task_named("reports.build_report"), str(report.pk))
    return report


def _stale_running(now):
    """A build running longer than its time limit allows: its worker died (or lost the task)."""
    cutoff = now - timedelta(seconds=settings.REPORT_TIME_LIMIT_SECONDS + 60)
    return Q(status=Report.Status.RUNNING, started_at__lt=cutoff)


def _claim(report_id):
    """pending, failed or stale running -> running (the build starts from scratch); None when the
    report is gone, ready, or being built right now by another worker (a duplicate delivery)."""
    with transaction.atomic():
        claimable = Q(status__in=[Report.Status.PENDING, Report.Status.FAILED]) | _stale_running(timezone.now())
        report = Report.objects.select_for_update().filter(claimable, pk=report_id).first()
        if report is None:
            return None
        report.status = Report.Status.RUNNING
        report.progress = 0
        report.error = ""
        report.started_at = timezone.now()
        report.finished_at = None
        report.save(update_fields=["status", "progress", "error", "started_at", "finished_at"])
        return report


def sales_row(row, fmt):
    """One showtime's line: money as the contract's decimal strings in CSV, as numbers in XLSX."""
    currency = row["currency"]
    net = row["gross"] - row["refunded"]
    occupancy = (
        (Decimal(row["tickets_sold"] * 100) / row["capacity"]).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if row["capacity"] else Decimal(0)
    )
    if fmt == Report.Format.XLSX:
        money = [amount.quantize(quantum(currency)) for amount in (row["gross"], row["refunded"], net)]
    else:
        money = [amount_string(amount, currency) for amount in (row["gross"], row["refunded"], net)]
    return [
        row["pk"], timezone.localtime(row["starts_at"]).isoformat(), row["movie__title"],
        row["auditorium__name"], row["capacity"], row["tickets_sold"],
        occupancy if fmt == Report.Format.XLSX else str(occupancy), *money, currency,
    ]


def _write_sales(report, writer):
    total = selectors.showtimes_starting(report.date_from, report.date_to).count()
    writer.write(selectors.SALES_COLUMNS)
    done = 0
    for page in selectors.sales_pages(report.date_from, report.date_to, PAGE_SIZE):
        for row in page:
            writer.write(sales_row(row, report.format))
        done += len(page)
        # Short of 100 until the file is stored.
        Report.objects.filter(pk=report.pk).update(progress=min(99, done * 100 // max(total, 1)))


def build_report(report_id):
    """Build one report's file; a failure is recorded on the row (`failed`, `error`), not raised,
    so that staff see why and can request it again."""
    report = _claim(report_id)
    if report is None:
        return None
    handle, path = tempfile.mkstemp(suffix=f".{report.format}", prefix="report-")
    os.close(handle)
    try:
        writer = open_writer(report.format, path, title=report.kind)
        try:
            _write_sales(report, writer)
        finally:
            writer.close()
        with open(path, "rb") as built:
            name = default_storage.save(f"reports/{report.pk}/{report.filename}", File(built))
    except Exception as exc:  # anything: the row must say it failed, and why
        logger.exception("report %s failed", report.pk)
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000], finished_at=timezone.now()
        )
        return Report.Status.FAILED
    finally:
        os.unlink(path)
    old = report.file.name
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.READY, progress=100, file=name, finished_at=timezone.now()
    )
    if old and old != name:
        default_storage.delete(old)
    return Report.Status.READY


def requeue_stale_reports(now=None):
    """Enqueue again reports pending past REQUEUE_STALE_AFTER_SECONDS (a lost enqueue: the row is
    the truth, not the broker) and builds running past their time limit (a dead worker)."""

    now = now or timezone.now()
    pending = Q(status=Report.Status.PENDING, created_at__lt=now - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS))
    ids = list(Report.objects.filter(pending | _stale_running(now)).values_list("pk", flat=True))
    return send_tasks_safely(task_named("reports.build_report"), [(str(pk),) for pk in ids])


def delete_old_reports(now=None):
    """Delete reports (rows and files) requested more than REPORT_RETENTION_DAYS ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REPORT_RETENTION_DAYS)
    deleted = 0
    for pk, name in Report.objects.filter(created_at__lt=cutoff).values_list("pk", "file").iterator():
        if name:
            default_storage.delete(name)
        deleted += Report.objects.filter(pk=pk).delete()[0]
    return deleted
