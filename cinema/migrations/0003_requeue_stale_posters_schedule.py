"""The sweep of posters left processing (a lost enqueue), editable afterwards in the admin."""

from django.db import migrations
from django.utils import timezone

TASK = "cinema.requeue_stale_posters"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    interval = IntervalSchedule.objects.filter(every=5, period="minutes").order_by("pk").first()
    if interval is None:
        interval = IntervalSchedule.objects.create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK,
        defaults={"task": TASK, "interval": interval, "enabled": True,
                  "description": "Enqueue again posters left processing past REQUEUE_STALE_AFTER_SECONDS."},
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cinema", "0002_movie_poster"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
