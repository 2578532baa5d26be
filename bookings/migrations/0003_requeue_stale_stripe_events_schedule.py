"""The every-minute beat schedule of `bookings.requeue_stale_stripe_events` (django-celery-beat):
stored Stripe events (and refunds) left unprocessed are sent again."""

from django.db import migrations

TASK = "bookings.requeue_stale_stripe_events"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute = IntervalSchedule.objects.filter(every=1, period="minutes").order_by("pk").first()
    if every_minute is None:
        every_minute = IntervalSchedule.objects.create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK,
        defaults={
            "task": TASK,
            "interval": every_minute,
            "enabled": True,
            "description": "Re-enqueues Stripe events left pending or failed past REQUEUE_STALE_AFTER_SECONDS "
            "(bounded attempts) and refunds whose task was lost.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0002_expire_unpaid_bookings_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
