"""Reads of the waitlist: positions (computed, never stored) and the counts staff look at."""

from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When

from .models import WaitlistEntry

Status = WaitlistEntry.Status


def with_position(entries):
    """Annotate `position`: 1 for the first waiting entry of its showtime, 2 for the next…;
    None for an entry that is not waiting. One subquery, whatever the number of entries."""
    up_to_this_one = (
        WaitlistEntry.objects.filter(showtime_id=OuterRef("showtime_id"), status=Status.WAITING, pk__lte=OuterRef("pk"))
        .order_by()
        .values("showtime_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return entries.annotate(
        position=Case(
            When(status=Status.WAITING, then=Subquery(up_to_this_one)),
            default=Value(None),
            output_field=IntegerField(),
        )
    )


def entries_of(user):
    """The user's entries, newest first, with their positions."""
    return with_position(WaitlistEntry.objects.filter(user=user)).order_by("-created_at", "-pk")


def active_entry(user, showtime):
    """The user's waiting or offered entry of this showtime (with its position), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        with_position(WaitlistEntry.objects.filter(user=user, showtime=showtime, status__in=WaitlistEntry.ACTIVE))
        .select_related("booking")
        .first()
    )


def counts_by_status(entries=None):
    """{status: n} of the given entries (all by default), every status present."""
    entries = WaitlistEntry.objects.all() if entries is None else entries
    found = dict(entries.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: found.get(status, 0) for status in Status.values}


def active_counts():
    """{"waiting": n, "offered": m} over every showtime: the ops dashboard's figures (one query)."""
    counts = counts_by_status(WaitlistEntry.objects.filter(status__in=WaitlistEntry.ACTIVE))
    return {"waiting": counts[Status.WAITING], "offered": counts[Status.OFFERED]}
