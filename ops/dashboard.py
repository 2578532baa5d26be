"""The operations dashboard for staff (/admin/ops/): is work flowing, or piling up somewhere?

Queue lengths come from the broker, Redis or RabbitMQ, through kombu (ops.broker, each with a
1 s timeout: the page still answers when the broker is down, and says so); everything else is a handful of indexed counts in the database, which is
the truth of what is pending. `?format=json` gives the same figures to scripts."""

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Min
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import ClerkEvent
from bookings.models import Booking, StripeEvent
from bookings.waitlist import selectors as waitlist_selectors
from notifications.models import EmailMessage

from . import broker

def _age(then, now):
    return None if then is None else round((now - then).total_seconds())


def _by_status(queryset):
    return dict(queryset.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))


def _unprocessed(model, now):
    """Stored webhook events not yet acted on (pending, or failed and waiting for a retry)."""
    waiting = model.objects.filter(status__in=["pending", "failed"])
    oldest = waiting.aggregate(oldest=Min("received_at"))["oldest"]
    return {"count": waiting.count(), "oldest_age_seconds": _age(oldest, now), "by_status": _by_status(model.objects)}


def snapshot(now=None):
    """Every figure of the dashboard, as plain data."""
    now = now or timezone.now()
    oldest_pending = (
        EmailMessage.objects.filter(status=EmailMessage.Status.PENDING)
        .order_by("created_at", "pk")
        .values("pk", "kind", "to", "created_at", "attempts")
        .first()
    )
    if oldest_pending:
        oldest_pending["age_seconds"] = _age(oldest_pending["created_at"], now)
    return {
        "generated_at": now,
        "broker": broker.queue_lengths(),
        "outbox": {
            "by_status": _by_status(EmailMessage.objects),
            "oldest_pending": oldest_pending,
            "dead_letters": EmailMessage.objects.filter(status=EmailMessage.Status.DEAD).count(),
        },
        "webhooks": {"stripe": _unprocessed(StripeEvent, now), "clerk": _unprocessed(ClerkEvent, now)},
        "holds": {
            "by_status": _by_status(Booking.objects),
            # Past their hold but not yet tidied by the sweeper: their seats are already free to others.
            "lapsed_awaiting_sweep": Booking.objects.filter(status=Booking.Status.PENDING, expires_at__lte=now).count(),
        },
        # Entries waiting for seats, and offers holding seats for their entries until paid or lapsed.
        "waitlist": waitlist_selectors.active_counts(),
        "periodic_tasks": list(
            PeriodicTask.objects.filter(enabled=True)
            .order_by("task", "name")
            .values("name", "task", "last_run_at", "total_run_count")
        ),
    }


def _admin_link(name, query=""):
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return None


@staff_member_required
def dashboard(request):
    data = snapshot()
    if request.GET.get("format") == "json":
        return JsonResponse(data)
    links = {
        "outbox_pending": _admin_link("admin:notifications_emailmessage_changelist", "?status__exact=pending"),
        "dead_letters": _admin_link("admin:notifications_deadletter_changelist"),
        "stripe_events": _admin_link("admin:bookings_stripeevent_changelist"),
        "clerk_events": _admin_link("admin:accounts_clerkevent_changelist"),
        "bookings": _admin_link("admin:bookings_booking_changelist"),
        "waitlists": _admin_link("admin:bookings_showtimewaitlist_changelist"),
        "periodic_tasks": _admin_link("admin:django_celery_beat_periodictask_changelist"),
    }
    context = {**admin.site.each_context(request), "title": "Operations", "ops": data, "links": links}
    return TemplateResponse(request, "admin/ops.html", context)
