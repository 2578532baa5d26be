"""The beat schedules of reports, editable afterwards in the admin (django-celery-beat)."""

from django.db import migrations
from django.utils import timezone

SCHEDULES = [
    ("reports.delete_old_reports", (1, "days"), "Delete report files (and rows) older than REPORT_RETENTION_DAYS."),
    ("reports.requeue_stale_reports", (5, "minutes"),
     "Enqueue again reports left pending past REQUEUE_STALE_AFTER_SECONDS, or running past their time limit."),
]


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for task_name, (every, period), description in SCHEDULES:
        interval = IntervalSchedule.objects.filter(every=every, period=period).order_by("pk").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=every, period=period)
        PeriodicTask.objects.get_or_create(
            name=task_name,
            defaults={"task": task_name, "interval": interval, "enabled": True, "description": description},
        )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedules(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[name for name, _, _ in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
