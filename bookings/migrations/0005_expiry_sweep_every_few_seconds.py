"""`bookings.expire_unpaid_bookings` every EXPIRY_SWEEP_SECONDS (default 10) instead of every minute:
holds send no per-hold task any more, the sweep alone ends them (django-celery-beat)."""

from django.conf import settings
from django.db import migrations

TASK = "bookings.expire_unpaid_bookings"
NAME = "Expire unpaid bookings"


def every_sweep_interval(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    seconds = getattr(settings, "EXPIRY_SWEEP_SECONDS", 10)
    interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.filter(task=TASK).delete()
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=interval,
        enabled=True,
        description=f"Every {seconds} s (EXPIRY_SWEEP_SECONDS): pending bookings past their hold become expired, "
        "seats released. Holds send no task of their own.",
    )


def every_minute(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.filter(task=TASK).delete()
    PeriodicTask.objects.create(name="Expire unpaid bookings (every minute)", task=TASK, interval=minute, enabled=True)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0004_booking_payment_failed"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(every_sweep_interval, every_minute)]
