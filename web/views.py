"""Pages of the booking site. Thin: reads come from selectors, every change from a service.

Failures end as a friendly message on a page (django.contrib.messages), never a raw error."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from rest_framework.throttling import ScopedRateThrottle

from accounts.services import update_preferences
from accounts.services import verify_email as verify_email_token
from accounts.throttling import SIGNIN_FAILURE, SIGNUP, ClientAddressThrottle
from bookings import selectors
from bookings.models import Booking
from cinema.models import Movie, Showtime

from . import booking_ops, catalogue
from .forms import SignUpForm, seat_ids_from


def home(request):
    return render(request, "web/home.html", {"movies": catalogue.movies_now_showing()})


def movie_detail(request, slug):
    movie = get_object_or_404(Movie, slug=slug)
    return render(request, "web/movie_detail.html", {"movie": movie, "days": catalogue.showtimes_by_day(movie)})


def showtime_detail(request, pk):
    """The seat picker. Without JS, each seat is a submit button of a GET form that toggles it."""
    showtime = get_object_or_404(Showtime.objects.select_related("movie", "auditorium"), pk=pk)
    seats = booking_ops.seat_map(showtime)
    by_id = {seat["id"]: seat for seat in seats}
    selected = [i for i in seat_ids_from(request.GET) if i in by_id]
    toggled = seat_ids_from(request.GET, "toggle")
    for seat_id in toggled:
        seat = by_id.get(seat_id)
        if seat is None:
            continue
        if seat_id in selected:
            selected.remove(seat_id)
        elif seat["status"] != "available":
            messages.warning(request, _("Seat %(label)s is not available.") % {"label": seat["label"]})
        elif len(selected) >= settings.MAX_SEATS_PER_BOOKING:
            messages.warning(request, max_seats_message())
        else:
            selected.append(seat_id)
    selected = [i for i in selected if by_id[i]["status"] == "available"][: settings.MAX_SEATS_PER_BOOKING]
    for seat in seats:
        seat["selected"] = seat["id"] in selected
    started = showtime.starts_at <= timezone.now()
    context = {
        "showtime": showtime,
        "rows": booking_ops.group_rows(seats),
        "columns": showtime.auditorium.seats_per_row,
        "selected_seats": [by_id[i] for i in selected],
        "selected_total": showtime.price * len(selected),
        "max_seats": settings.MAX_SEATS_PER_BOOKING,
        "started": started,
        "counts": booking_ops.count_statuses(seats),
    }
    return render(request, "web/showtime_detail.html", context)


def max_seats_message():
    return ngettext(
        "You can pick up to %(max)d seat per booking.",
        "You can pick up to %(max)d seats per booking.",
        settings.MAX_SEATS_PER_BOOKING,
    ) % {"max": settings.MAX_SEATS_PER_BOOKING}


def showtime_url(showtime, seat_ids=()):
    url = reverse("site:showtime", args=[showtime.pk])
    if seat_ids:
        url += "?" + urlencode({"seats": ",".join(str(i) for i in seat_ids)})
    return url


@require_POST
def hold(request, pk):
    """Hold the picked seats for the signed-in user, then go to the booking page to pay."""
    showtime = get_object_or_404(Showtime.objects.select_related("auditorium"), pk=pk)
    seat_ids = seat_ids_from(request.POST)
    back = showtime_url(showtime, seat_ids)
    if not request.user.is_authenticated:
        messages.info(request, _("Please sign in to hold your seats. Your selection is kept."))
        return redirect_to_login(back)
    throttle = ScopedRateThrottle()  # the API's throttle and the same counts: one budget per user
    if not throttle.allow_request(request, HoldsScope):
        return throttled_page(request, throttle.wait())
    if not seat_ids:
        messages.error(request, _("Pick at least one seat first."))
        return redirect(back)
    if len(seat_ids) > settings.MAX_SEATS_PER_BOOKING:
        messages.error(request, max_seats_message())
        return redirect(back)
    outcome = booking_ops.hold(request.user, showtime, seat_ids)
    if outcome.booking is None:
        messages.error(request, outcome.message)
        return redirect(showtime_url(showtime, outcome.keep_seat_ids))
    return redirect("site:booking", pk=outcome.booking.pk)


def own_booking(request, pk):
    """The booking when the caller owns it (or is staff); a 404 for anyone else."""
    booking = get_object_or_404(
        selectors.with_seats(Booking.objects.select_related("showtime__movie", "showtime__auditorium", "user")),
        pk=pk,
    )
    if booking.user_id != request.user.pk and not request.user.is_staff:
        raise Http404
    return booking


@login_required
def booking_detail(request, pk):
    booking = own_booking(request, pk)
    returned = request.GET.get("checkout")  # set by the gateway's success and cancel URLs
    view = booking_ops.BookingView(booking, timezone.now())
    if returned == "success" and view.status == "pending":
        messages.info(request, _("Thank you! We are confirming your payment; this page updates by itself."))
    elif returned in ("cancelled", "canceled") and view.status == "pending":
        messages.warning(request, _("Payment was cancelled. Your seats are still held: you can try again."))
    elif returned == "failed" and view.status == "pending":
        messages.error(request, _("The payment did not go through. Your seats are still held: please try again."))
    return render(request, "web/booking_detail.html", {"booking": booking, "view": view})


@never_cache
@login_required
def booking_status(request, pk):
    """A small JSON the booking page polls to notice payment (or expiry) without a reload."""
    booking = own_booking(request, pk)
    view = booking_ops.BookingView(booking, timezone.now())
    return JsonResponse(
        {
            "status": view.status,
            "expires_at": booking.expires_at.isoformat() if booking.expires_at else None,
            "seconds_left": view.seconds_left,
            "tickets": len(view.tickets),
        }
    )


@login_required
@require_POST
def booking_pay(request, pk):
    """Start the gateway's checkout (Stripe Checkout or the local Pay page) and go there."""
    booking = own_booking(request, pk)
    if booking.user_id != request.user.pk:  # staff may look and cancel, only the customer pays
        raise Http404
    outcome = booking_ops.checkout(booking)
    if outcome.url is None:
        messages.error(request, outcome.message)
        return redirect("site:booking", pk=booking.pk)
    return redirect(outcome.url)


@login_required
def booking_cancel(request, pk):
    """GET: what cancelling would refund, with a confirm button. POST: cancel."""
    booking = own_booking(request, pk)
    view = booking_ops.BookingView(booking, timezone.now())
    if request.method == "POST":
        outcome = booking_ops.cancel(booking, request.user)
        if outcome.ok:
            messages.success(request, outcome.message)
        else:
            messages.error(request, outcome.message)
        return redirect("site:booking", pk=booking.pk)
    if not view.can_cancel:
        messages.error(request, view.cancel_refused or _("This booking can no longer be cancelled."))
        return redirect("site:booking", pk=booking.pk)
    return render(request, "web/booking_cancel.html", {"booking": booking, "view": view})


@login_required
def my_bookings(request):
    bookings = selectors.with_seats(
        Booking.objects.filter(user=request.user)
        .select_related("showtime__movie", "showtime__auditorium")
        .order_by("-created_at")
    )
    now = timezone.now()
    return render(request, "web/my_bookings.html", {"views": [booking_ops.BookingView(b, now) for b in bookings]})


class HoldsScope:
    """Stands for the API's hold view to DRF's ScopedRateThrottle (it reads the scope from the view)."""

    throttle_scope = "holds"


def throttled_page(request, wait_seconds):
    """429: a page saying how long to wait, with Retry-After."""
    wait_seconds = max(1, int(wait_seconds or 1))
    response = render(request, "web/throttled.html", {"minutes": -(-wait_seconds // 60)}, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def signup(request):
    """Every sign-up answers the same: "check your inbox" (a known address is told nothing here;
    its owner gets an email instead). Attempts are throttled per client address."""
    if request.user.is_authenticated:
        return redirect("site:home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        throttle = ClientAddressThrottle(SIGNUP)
        if throttle.blocked(request):
            return throttled_page(request, throttle.retry_after())
        throttle.record(request)
        if form.is_valid():
            form.sign_up()
            return render(request, "web/signup_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "web/signup.html", {"form": form, "next": next_url})


def verify_email(request, token):
    """The link of the `email_verification` email: marks the address verified."""
    user = verify_email_token(token)
    if user is None:
        return render(request, "web/email_verified.html", {"verified": False}, status=400)
    return render(request, "web/email_verified.html", {"verified": True})


class SignInView(LoginView):
    """Django's sign-in, with a page saying to wait once the client's address has too many
    failed sign-ins (the failures are counted by accounts.throttling, for the admin's too)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        throttle = ClientAddressThrottle(SIGNIN_FAILURE)
        if throttle.blocked(request):
            return throttled_page(request, throttle.retry_after())
        return super().post(request, *args, **kwargs)


@require_POST
def set_language(request):
    """Django's set_language (cookie), and for a signed-in user their saved language too:
    their pages and emails follow `user.language` (accounts.middleware)."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES) and check_for_language(language):
        if request.user.language != language:
            update_preferences(request.user, language=language)
    return response
