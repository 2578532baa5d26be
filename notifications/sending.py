"""Sending many outbox rows in one task: the rate limits admit them, each is delivered on its
own (claim, send over the open connection, record, fall back, retry), and whatever has to wait
is handed back with a short countdown or left in the database for the per-minute sweep.

Imports no other app of ours."""

import time
from datetime import timedelta

from django.utils import timezone

from . import delivery, outbox, pacing

# A batch stops after this long and enqueues what is left, well inside its time limit
# (a slow provider can take EMAIL_TIMEOUT per send and provider).
BATCH_BUDGET_SECONDS = 40


def _send_task():
    from .tasks import send_email

    return send_email


def schedule_retry(message_id, delay):
    """A short retry waits in the broker (a countdown); a long one waits in the row's
    `next_attempt_at`, which the sweep hands over when it comes near."""
    now = timezone.now()
    when = now + timedelta(seconds=delay)
    return outbox.schedule([(message_id,)], when, now, task=_send_task())


def send_batch(message_ids, budget_seconds=BATCH_BUDGET_SECONDS):
    """Deliver the rows of a batch; returns {status: count} of the attempts made."""
    now = timezone.now()
    now_ids, later = pacing.admit(message_ids, now)
    for when, ids in later:
        outbox.schedule([(batch,) for batch in outbox.in_batches(ids)], when, now)
    counts = {}
    started = time.monotonic()
    for position, message_id in enumerate(now_ids):
        if time.monotonic() - started > budget_seconds:
            outbox.schedule([(now_ids[position:],)], now, now)
            break
        outcome = delivery.deliver(message_id)
        if outcome is None:
            continue
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.retry_in is not None:
            schedule_retry(message_id, outcome.retry_in)
    return counts
