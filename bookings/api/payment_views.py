"""HTTP for payments: checkout, the Stripe webhook, ticket QR images, check-in, the local Pay page.

Thin: each view checks who is asking, then calls checkout / stripe_events / tickets."""

import logging
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest as DjangoBadRequest
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.api.payment_serializers import CheckInSerializer, check_in_result
from bookings.models import Booking, Ticket
from bookings.payments import stripe_events
from bookings.payments.checkout import (
    CheckoutRefused,
    ensure_payable,
    pay_locally,
    start_checkout,
)
from bookings.payments.gateways import GatewayError, booking_page_url
from bookings.tickets import services as tickets
from core.api import Conflict, ServiceUnavailable

logger = logging.getLogger(__name__)


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad request."
    default_code = "bad_request"


CheckoutResponse = inline_serializer(
    "CheckoutResponse", {"checkout_url": serializers.URLField(), "session_id": serializers.CharField()}
)


class CheckoutView(APIView):
    """POST /api/v1/bookings/{id}/checkout/: a payment page for the owner's pending booking."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: CheckoutResponse, 404: None, 409: None, 503: None})
    def post(self, request, booking_id):
        try:
            pk = uuid.UUID(str(booking_id))
        except ValueError:
            raise Http404
        booking = get_object_or_404(Booking.objects.select_related("user", "showtime__movie"), pk=pk, user=request.user)
        try:
            session = start_checkout(booking)  # CheckoutRefused: a 409 through core.api's table
        except GatewayError as exc:
            logger.warning("checkout of booking %s failed at the gateway: %s", booking.pk, exc)
            raise ServiceUnavailable("The payment provider is unavailable; try again shortly.", code="payment_unavailable")
        return Response({"checkout_url": session.url, "session_id": session.id})


class StripeWebhookView(APIView):
    """POST /api/v1/webhooks/stripe/: verify, store once, enqueue, answer 200 (also for a duplicate)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        request={"application/json": dict},
        responses={
            200: inline_serializer("StripeWebhookAck", {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()}),
            400: OpenApiResponse(description="invalid_signature"),
        },
    )
    def post(self, request):
        try:
            _, created = stripe_events.receive_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
        except stripe_events.InvalidWebhook as exc:
            raise BadRequest(str(exc), code=exc.code)
        return Response({"received": True, "duplicate": not created})


class TicketQRView(APIView):
    """GET /api/v1/tickets/{id}/qr.png: the QR image of the ticket's code, to its owner or staff."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="PNG QR code"), 404: None})
    def get(self, request, pk):
        ticket = get_object_or_404(Ticket.objects.select_related("booking"), pk=pk)
        if not (request.user.is_staff or ticket.booking.user_id == request.user.pk):
            raise Http404
        response = HttpResponse(tickets.qr_png(ticket.code), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class CheckInView(APIView):
    """POST /api/v1/checkin/ {"code"}: admit a ticket once (staff at the door)."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=CheckInSerializer, responses={200: dict, 400: None, 409: None})
    def post(self, request):
        code = request.data.get("code") if isinstance(request.data, dict) else None
        try:
            ticket = tickets.check_in(code, by=request.user)
        except tickets.InvalidTicket as exc:
            raise BadRequest(str(exc), code="invalid_ticket")
        except tickets.TicketNotValid as exc:
            raise Conflict(str(exc), code="ticket_not_valid", booking_status=exc.ticket.booking.status)
        except tickets.AlreadyCheckedIn as exc:
            checked_in_at = serializers.DateTimeField().to_representation(exc.ticket.checked_in_at)
            raise Conflict(str(exc), code="already_checked_in", checked_in_at=checked_in_at)
        return Response(check_in_result(ticket))


@login_required
@require_http_methods(["GET", "POST"])
def local_pay(request, session_id):
    """The local gateway's checkout page: shows the booking and a Pay button; the POST sends our
    webhook a signed `checkout.session.completed` and returns to the booking page."""
    if "\x00" in session_id:  # PostgreSQL cannot even compare a text with a NUL in it
        raise DjangoBadRequest("A session id has no NUL character.")
    if settings.PAYMENT_GATEWAY != "local" or not session_id.startswith("cs_local_"):
        raise Http404  # with real Stripe, nothing may mark a booking paid but Stripe
    booking = (
        Booking.objects.select_related("showtime__movie", "showtime__auditorium")
        .filter(checkout_session_id=session_id, user=request.user)
        .first()
    )
    if booking is None:
        raise Http404
    problem = None
    try:
        ensure_payable(booking)
    except CheckoutRefused as exc:
        # A hold that lapsed a moment ago can still be paid (Stripe's session outlives it):
        # the payment is then handled as a late payment.
        if exc.code != "hold_expired":
            problem = exc.detail
    if request.method == "POST" and problem is None:
        pay_locally(booking, session_id)
        return redirect(booking_page_url(booking) + "?checkout=success")
    seats = booking.booking_seats.filter(active=True).select_related("seat").order_by("seat__row_index", "seat__number")
    context = {
        "booking": booking,
        "seats": [bs.seat.label for bs in seats],
        "problem": problem,
        "cancel_url": booking_page_url(booking) + "?checkout=cancelled",
    }
    return render(request, "bookings/local_pay.html", context, status=409 if problem and request.method == "POST" else 200)
