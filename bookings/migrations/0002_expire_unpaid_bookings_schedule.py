"""The every-minute beat schedule of `bookings.expire_unpaid_bookings` (django-celery-beat)."""

from django.db import migrations

TASK = "bookings.expire_unpaid_bookings"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute = IntervalSchedule.objects.filter(every=1, period="minutes").order_by("pk").first()
    if every_minute is None:
        every_minute = IntervalSchedule.objects.create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name="Expire unpaid bookings (every minute)",
        defaults={
            "task": TASK,
            "interval": every_minute,
            "enabled": True,
            "description": "Sweeps pending bookings past their hold: status expired, seats released.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
