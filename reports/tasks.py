"""Celery tasks of reports: thin wrappers that take ids and call reports.services."""

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(
    name="reports.build_report",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # A year of showtimes takes longer than the default limits of short tasks.
    soft_time_limit=settings.REPORT_TIME_LIMIT_SECONDS,
    time_limit=settings.REPORT_TIME_LIMIT_SECONDS + 30,
)
def build_report(report_id):
    return services.build_report(report_id)


@shared_task(name="reports.delete_old_reports", ignore_result=True)
def delete_old_reports():
    """Daily: files (and rows) of reports older than REPORT_RETENTION_DAYS."""
    return services.delete_old_reports()


@shared_task(name="reports.requeue_stale_reports", ignore_result=True)
def requeue_stale_reports():
    """Every 5 minutes: reports whose build was lost are enqueued again."""
    return services.requeue_stale_reports()
