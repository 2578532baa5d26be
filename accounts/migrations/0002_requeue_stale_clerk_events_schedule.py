"""The periodic sweep of stored auth-provider events, editable afterwards in the admin."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "accounts.requeue_stale_clerk_events"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute = IntervalSchedule.objects.filter(every=1, period="minutes").order_by("pk").first()
    if every_minute is None:
        every_minute = IntervalSchedule.objects.create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK_NAME,
            "interval": every_minute,
            "enabled": True,
            "description": "Enqueue again the stored Clerk events left pending past REQUEUE_STALE_AFTER_SECONDS.",
        },
    )
    # Tell a running beat (DatabaseScheduler) that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
