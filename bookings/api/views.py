"""Bookings endpoints: thin views; the rules are in bookings.holds and bookings.payments, the reads in bookings.selectors."""

import uuid

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from bookings import selectors
from bookings.api.serializers import (
    BookingDetailSerializer,
    BookingSerializer,
    CancelResultSerializer,
    HoldRequestSerializer,
    hold_request,
)
from bookings.holds import services as hold_services
from bookings.models import Booking
from bookings.payments import cancellation
from cinema.models import Showtime
from core.money import amount_string as format_money


def booking_for(request, booking_id):
    """The booking if the caller owns it or is staff; 404 otherwise (also for a malformed id)."""
    try:
        pk = uuid.UUID(str(booking_id))
    except ValueError:
        raise Http404
    return get_object_or_404(selectors.bookings_of(request.user).select_related("showtime"), pk=pk)


class ShowtimeSeats(APIView):
    """The seat map: every seat of the showtime's auditorium, available / held / sold right now."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "SeatMap",
            {
                "showtime": serializers.IntegerField(),
                "seats": inline_serializer(
                    "SeatStatus",
                    {
                        "id": serializers.IntegerField(),
                        "row": serializers.CharField(),
                        "number": serializers.IntegerField(),
                        "label": serializers.CharField(),
                        "status": serializers.ChoiceField(["available", "held", "sold"]),
                    },
                    many=True,
                ),
            },
        )
    )
    def get(self, request, pk):
        showtime = get_object_or_404(Showtime.objects.only("id", "auditorium_id"), pk=pk)
        return Response({"showtime": showtime.pk, "seats": selectors.seat_map(showtime)})


# One instance for every 201 of a hold: a serializer's fields are deep-copied per instance, which
# cost as much as the rest of the body; to_representation keeps no state between calls.
HOLD_BODY = BookingSerializer()


class BookingListCreate(generics.ListAPIView):
    """GET: the caller's own bookings, newest first. POST: hold seats (201 pending booking, 409 taken)."""

    serializer_class = BookingSerializer
    permission_classes = [IsAuthenticated]
    throttle_scope = "holds"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        return selectors.with_seats(Booking.objects.filter(user=self.request.user)).order_by("-created_at", "-pk")

    @extend_schema(request=HoldRequestSerializer, responses={201: BookingSerializer})
    def post(self, request):
        showtime_id, seat_ids = hold_request(request.data)
        # Refusals are bookings.exceptions: core.api answers them by their code.
        booking = hold_services.hold_seats(request.user, showtime_id, seat_ids)
        return Response(HOLD_BODY.to_representation(booking), status=status.HTTP_201_CREATED)


class BookingDetail(APIView):
    """The booking, to its owner or staff; 404 to anyone else."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingDetailSerializer)
    def get(self, request, booking_id):
        booking = booking_for(request, booking_id)
        return Response(BookingDetailSerializer(booking, context={"request": request}).data)


class BookingCancel(APIView):
    """Cancel: pending for free, paid with a refund per policy; 409 too_late when it cannot be."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=CancelResultSerializer)
    def post(self, request, booking_id):
        booking = booking_for(request, booking_id)
        booking = cancellation.cancel_booking(booking, by_user=request.user)
        return Response(
            {"status": booking.status, "refund_amount": format_money(booking.refund_amount, booking.currency)}
        )
