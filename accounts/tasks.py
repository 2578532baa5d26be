"""Celery tasks of accounts: thin wrappers that take ids and call services."""

from celery import shared_task

from core.tasks import send_task_safely

from . import services


@shared_task(name="accounts.sync_user")
def sync_user(event_pk):
    """Apply one stored auth-provider event (a no-op when it is already applied)."""
    return services.apply_event(event_pk)


@shared_task(name="accounts.requeue_stale_clerk_events")
def requeue_stale_clerk_events():
    """Every minute: enqueue again the stored events a lost enqueue or a failure left behind."""
    event_pks = services.stale_event_ids()
    for event_pk in event_pks:
        send_task_safely(sync_user, args=(event_pk,))
    return len(event_pks)
