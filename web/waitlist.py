"""Site pages of the waitlist: join and leave from the showtime page. Thin: the rules are
bookings.waitlist.services'; refusals become messages a customer understands."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings.exceptions import BookingError, WaitlistEntryNotFound
from bookings.waitlist import selectors, services
from bookings.waitlist.models import WaitlistEntry
from cinema.models import Showtime


def refused_message(error):
    texts = {
        "seats_available": _("Seats are free for this showtime right now: pick them on the seat map instead."),
        "already_waiting": _("You are already on the waitlist of this showtime."),
        "waitlist_closed": _("The waitlist of this showtime is closed."),
        "invalid_quantity": _("Choose how many seats you want."),
    }
    return texts.get(error.code) or _("We could not put you on the waitlist. Please try again.")


@require_POST
def join(request, pk):
    showtime = get_object_or_404(Showtime, pk=pk)
    back = reverse("site:showtime", args=[showtime.pk])
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    try:
        quantity = int(request.POST.get("quantity", ""))
    except ValueError:
        quantity = 0
    try:
        entry = services.join(request.user, showtime.pk, quantity)
    except BookingError as error:
        messages.error(request, refused_message(error))
        return redirect(back)
    position = selectors.with_position(WaitlistEntry.objects.filter(pk=entry.pk)).get().position
    messages.success(request, _("You are on the waitlist: number %(position)d in line.") % {"position": position})
    return redirect(back + "#waitlist")


@require_POST
def leave(request, pk):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("site:home"))
    try:
        entry = services.leave(request.user, pk)
    except WaitlistEntryNotFound:
        return redirect("site:home")
    messages.success(request, _("You left the waitlist."))
    return redirect("site:showtime", pk=entry.showtime_id)
