"""The showtime page's waitlist panel: "Join the waitlist" where the seat picker says sold out,
and, for a user on the list, their position (or the seats held for them) and a way to leave."""

from django import template
from django.conf import settings
from django.utils import timezone

from bookings.waitlist import selectors, services

register = template.Library()


@register.inclusion_tag("web/_waitlist.html", takes_context=True)
def waitlist_panel(context, showtime, counts):
    """Shown when no seat is free, or when the user is on this showtime's waitlist."""
    request = context["request"]
    entry = selectors.active_entry(request.user, showtime)
    sold_out = counts.get("available", 0) == 0
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "showtime": showtime,
        "entry": entry,
        "show": sold_out or entry is not None,
        "sold_out": sold_out,
        "open": services.is_open(showtime, timezone.now()),
        "quantities": range(1, settings.MAX_SEATS_PER_BOOKING + 1),
        "user": request.user,
    }
