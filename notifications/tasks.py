"""Celery tasks of notifications: thin wrappers that take ids, re-read state and call the rules.

The outbox, the sends, the announcements and the campaigns enqueue these by name
(`core.tasks.task_named`), so this module may import them without a circle."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import delivery, outbox, sending
from .announcements import plan_announcement, requeue_stuck_announcements
from .campaigns import plan_campaign, requeue_stuck_campaigns
from .models import EmailMessage
from .reminders import send_showtime_reminders as queue_due_reminders


@shared_task(
    bind=True,
    name="notifications.send_email",
    queue="email",
    acks_late=True,
    reject_on_worker_lost=True,
    rate_limit=settings.EMAIL_RATE_LIMIT,
    ignore_result=True,
)
def send_email(self, message_id):
    """Deliver one outbox row (booking emails, resends); a failed attempt schedules the next."""
    outcome = delivery.deliver(message_id)
    if outcome is not None and outcome.retry_in is not None:
        sending.schedule_retry(message_id, outcome.retry_in)
    return outcome.status if outcome else None


@shared_task(
    name="notifications.send_email_batch",
    queue="email",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=sending.BATCH_BUDGET_SECONDS + 60,
    time_limit=sending.BATCH_BUDGET_SECONDS + 90,
)
def send_email_batch(message_ids):
    """Deliver many outbox rows over this worker's open provider connections (announcements,
    campaigns, sweeps), each claimed, recorded, fallen back and retried on its own."""
    return sending.send_batch(message_ids)


@shared_task(name="notifications.requeue_stale_emails", ignore_result=True)
def requeue_stale_emails():
    """Every minute: enqueue rows a lost enqueue or a dead worker left behind, hand the broker
    the rows whose retry or rate-limit slot comes within the next minute, and re-enqueue
    announcements and campaigns whose planning was lost."""
    now = timezone.now()
    ids = delivery.stale_message_ids()
    # Mark them seen so that a long queue is not topped up every minute with the same rows.
    EmailMessage.objects.filter(pk__in=ids, status=EmailMessage.Status.PENDING).update(updated_at=now)
    EmailMessage.objects.filter(pk__in=ids, status=EmailMessage.Status.FAILED).update(next_attempt_at=now)
    outbox.schedule([(batch,) for batch in outbox.in_batches(ids)], now, now)
    for when, due_ids in delivery.due_soon(now, outbox.SCHEDULE_AHEAD_SECONDS):
        outbox.schedule([(batch,) for batch in outbox.in_batches(due_ids)], when, now)
    requeue_stuck_announcements()
    requeue_stuck_campaigns()
    return len(ids)


@shared_task(name="notifications.send_showtime_reminders", ignore_result=True)
def send_showtime_reminders():
    return queue_due_reminders()


@shared_task(name="notifications.announce_movie", ignore_result=True)
def announce_movie(movie_id):
    plan_announcement(movie_id)


@shared_task(name="notifications.announce_movie_batch", ignore_result=True)
def announce_movie_batch(movie_id, from_user_id, before_user_id=None):
    """Kept for messages queued before the planner made the rows itself: it now only re-plans."""
    plan_announcement(movie_id)
    return 0


@shared_task(name="notifications.send_campaign", ignore_result=True)
def send_campaign(campaign_id):
    return plan_campaign(campaign_id)
