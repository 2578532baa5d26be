"""Sending many outbox rows in one task: the rate limits admit them, each is delivered on its
own (claim, send over the open connection, record, fall back, retry), and whatever has to wait
is handed back with a short countdown or left in the database for the per-minute sweep.

Imports no other app of ours."""

import time
from datetime import timedelta

from django.utils import timezone

from core.tasks import task_named

from . import delivery, outbox, pacing

# A batch stops after this long and enqueues what is left, well inside its time limit
# (a slow provider can take EMAIL_TIMEOUT per send and provider).
BATCH_BUDGET_SECONDS = 40
# A rate-limited batch waits in the task for a slot this close; a later one goes back to the broker.
MAX_WAIT_IN_TASK_SECONDS = 5
# Rows claimed by one statement: few, since a claimed row waits in `sending` until it is sent.
CLAIM_CHUNK = 20
# Successes written by one statement. A worker killed outright (SIGKILL, OOM) before writing them
# leaves at most this many sent rows in `sending`: the sweep sends those again (a duplicate, never a loss).
RECORD_SENT_EVERY = 10
_sleep = time.sleep  # tests move time-machine's clock instead


def _send_task():
    return task_named("notifications.send_email")


def schedule_retry(message_id, delay):
    """A short retry waits in the broker (a countdown); a long one waits in the row's
    `next_attempt_at`, which the sweep hands over when it comes near."""
    now = timezone.now()
    when = now + timedelta(seconds=delay)
    return outbox.schedule([(message_id,)], when, now, task=_send_task())


def send_batch(message_ids, budget_seconds=BATCH_BUDGET_SECONDS):
    """Deliver the rows of a batch; returns {status: count} of the attempts made.

    Rows a rate limit gave a slot in the next few seconds are sent at their slot (the task
    waits for it); the rest of the batch goes back to the broker (a countdown under a minute)
    or stays in the database for the sweep. Successes are written RECORD_SENT_EVERY at a time."""
    started = time.monotonic()
    ready, timed = pacing.admit(message_ids, timezone.now())
    counts, sent = {}, []
    try:
        for start in range(0, len(ready), CLAIM_CHUNK):
            if time.monotonic() - started > budget_seconds:
                rest = ready[start:] + [pk for _, pk in timed]
                outbox.schedule([(rest,)], timezone.now(), timezone.now())
                return counts
            for message in delivery.claim_many(ready[start:start + CLAIM_CHUNK]):
                _record(message.pk, delivery.attempt(message, sent), counts)
                if len(sent) >= RECORD_SENT_EVERY:
                    delivery.record_sent(sent)
        delivery.record_sent(sent)
        for position, (when, message_id) in enumerate(timed):
            wait = (when - timezone.now()).total_seconds()
            if wait > MAX_WAIT_IN_TASK_SECONDS or time.monotonic() - started + wait > budget_seconds:
                rest = [pk for _, pk in timed[position:]]
                outbox.schedule([(rest,)], when, timezone.now())
                break
            if wait > 0:
                _sleep(wait)
            _record(message_id, delivery.deliver(message_id), counts)
    finally:  # also when the time limit interrupts the batch: what was sent is written
        delivery.record_sent(sent)
    return counts


def _record(message_id, outcome, counts):
    if outcome is None:
        return
    counts[outcome.status] = counts.get(outcome.status, 0) + 1
    if outcome.retry_in is not None:
        schedule_retry(message_id, outcome.retry_in)
