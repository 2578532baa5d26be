"""Rate limits of bulk email that hold whatever the batch size and however many workers run.

Celery's own `rate_limit` counts tasks per worker: a batch task of 50 messages would count once,
and two workers would send twice the limit. Here a limit is a row (`SendPace`) holding the time
from which the next message may go; a batch of k messages reserves k slots (k / rate seconds)
under the row's lock and is sent at the start of its reservation. The reservation is written on
the rows (`next_attempt_at`): a row is not claimable before it, and a wait longer than a minute
is picked up by the per-minute sweep instead of waiting in the broker (DESIGN rule 3).

Imports no other app of ours."""

from datetime import timedelta

from celery.utils.time import rate as parse_rate
from django.conf import settings
from django.db import transaction

from .delivery import RETRY_EARLY_TOLERANCE
from .models import EmailMessage, SendPace

# Kind of message -> the setting holding its limit ("600/m"); kinds not listed go at once.
PACED_KINDS = {
    EmailMessage.Kind.CAMPAIGN: "CAMPAIGN_RATE_LIMIT",
    EmailMessage.Kind.NEW_MOVIE: "EMAIL_RATE_LIMIT",
}


def pace_of(kind):
    """(pace name, messages per second) of a kind, or None when its messages are not limited."""
    setting = PACED_KINDS.get(kind)
    per_second = parse_rate(getattr(settings, setting, None)) if setting else 0
    return (setting, per_second) if per_second else None


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
    """Split a batch into the ids to send now and [(when, ids)] to send later.

    Rows of a limited kind that hold no reservation yet (pending, never scheduled) reserve
    their slots together; rows already scheduled (a reservation, a retry) wait for their time;
    everything else is sent now (delivery's claim decides whether it is still to do)."""
    rows = EmailMessage.objects.filter(pk__in=message_ids).values_list("pk", "kind", "status", "next_attempt_at")
    now_ids, later, unreserved = [], {}, {}
    for pk, kind, status, next_attempt_at in rows:
        if next_attempt_at is not None and next_attempt_at > now + RETRY_EARLY_TOLERANCE and status in (
            EmailMessage.Status.PENDING, EmailMessage.Status.FAILED
        ):
            later.setdefault(next_attempt_at, []).append(pk)
        elif status == EmailMessage.Status.PENDING and next_attempt_at is None and pace_of(kind):
            unreserved.setdefault(pace_of(kind), []).append(pk)
        else:
            now_ids.append(pk)
    for (name, per_second), ids in unreserved.items():
        start = reserve(name, per_second, len(ids), now)
        if start <= now:
            now_ids.extend(ids)
            continue
        # Written on the rows: the claim refuses them before their slot, the sweep finds them.
        EmailMessage.objects.filter(pk__in=ids, status=EmailMessage.Status.PENDING).update(next_attempt_at=start)
        later.setdefault(start, []).extend(ids)
    return sorted(now_ids), sorted(later.items())
