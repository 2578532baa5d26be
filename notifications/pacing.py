"""Rate limits of bulk email that hold whatever the batch size and however many workers run.

Celery's own `rate_limit` counts tasks per worker: a batch task of 50 messages would count once,
and two workers would send twice the limit. Here a limit is a row (`SendPace`) holding the time
from which the next message may go; a batch of k messages reserves k consecutive slots, 1/rate
apart, under the row's lock, and each message goes at its slot (the batch waits between them,
a few seconds at most). The slots are written on the rows (`next_attempt_at`): a row is not
claimable before its slot, and a wait longer than a minute is picked up by the per-minute
sweep instead of waiting in the broker (DESIGN rule 3). Over any minute, a limit of n/m sends
at most n messages.

Imports no other app of ours."""

from datetime import timedelta

from celery.utils.time import rate as parse_rate
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Value, When

from .models import EmailMessage, SendPace

# Kind of message -> the setting holding its limit ("600/m"); kinds not listed go at once.
PACED_KINDS = {
    EmailMessage.Kind.CAMPAIGN: "CAMPAIGN_RATE_LIMIT",
    EmailMessage.Kind.NEW_MOVIE: "EMAIL_RATE_LIMIT",
}


# Slots are spaced for this share of the limit: a send that leaves up to about a second after
# its slot (a busy worker) must not push any 60-second window over the limit.
HEADROOM = 0.98


def pace_of(kind):
    """(pace name, messages per second) of a kind, or None when its messages are not limited."""
    setting = PACED_KINDS.get(kind)
    per_second = parse_rate(getattr(settings, setting, None)) if setting else 0
    return (setting, per_second * HEADROOM) if per_second else None


def reserve(name, per_second, count, now):
    """Reserve `count` consecutive send slots of the named limit; returns when they start.

    The limit's row is locked for the reservation only, so concurrent batches queue up one
    after the other without any of them sleeping."""
    with transaction.atomic():
        pace, _ = SendPace.objects.get_or_create(name=name, defaults={"next_free_at": now})
        pace = SendPace.objects.select_for_update().get(pk=pace.pk)
        start = max(now, pace.next_free_at)
        pace.next_free_at = start + timedelta(seconds=count / per_second)
        pace.save(update_fields=["next_free_at"])
    return start


def admit(message_ids, now):
    """Split a batch into the ids to send now and the [(when, id)] that must wait, in time order.

    Rows of a limited kind that hold no slot yet (pending, never scheduled) reserve one slot
    each, 1/rate apart, written on the rows; rows already scheduled (a slot, a retry) keep
    their time; everything else goes now (delivery's claim decides whether it is still to do)."""
    rows = EmailMessage.objects.filter(pk__in=message_ids).values_list("pk", "kind", "status", "next_attempt_at")
    waiting = (EmailMessage.Status.PENDING, EmailMessage.Status.FAILED)
    ready, timed, unreserved = [], [], {}
    for pk, kind, status, next_attempt_at in rows:
        if status in waiting and next_attempt_at is not None and next_attempt_at > now:
            timed.append((next_attempt_at, pk))  # not a moment early: the limit counts from the slot
        elif status == EmailMessage.Status.PENDING and next_attempt_at is None and pace_of(kind):
            unreserved.setdefault(pace_of(kind), []).append(pk)
        else:
            ready.append(pk)
    for (name, per_second), ids in unreserved.items():
        ids.sort()
        start = reserve(name, per_second, len(ids), now)
        slots = [(start + timedelta(seconds=i / per_second), pk) for i, pk in enumerate(ids)]
        # One UPDATE: the claim refuses a row before its slot, and the sweep finds it there.
        EmailMessage.objects.filter(pk__in=ids, status=EmailMessage.Status.PENDING).update(
            next_attempt_at=Case(*(When(pk=pk, then=Value(when)) for when, pk in slots))
        )
        timed.extend(slots)
    return sorted(ready), sorted(timed)
