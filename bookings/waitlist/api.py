"""Waitlist endpoints: thin views over bookings.waitlist.services and selectors; refusals are
domain errors that core.api answers by their code."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .models import WaitlistEntry
from .serializers import JoinRequestSerializer, WaitlistEntrySerializer


class ShowtimeWaitlistJoin(APIView):
    """Join a sold-out showtime's waitlist for `quantity` seats."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=JoinRequestSerializer, responses={201: WaitlistEntrySerializer})
    def post(self, request, pk):
        body = JoinRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Refusals are bookings.exceptions: core.api answers them by their code.
        entry = services.join(request.user, pk, body.validated_data["quantity"])
        entry = selectors.with_position(WaitlistEntry.objects.filter(pk=entry.pk)).get()
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class WaitlistList(generics.ListAPIView):
    """The caller's entries, newest first, with their positions."""

    serializer_class = WaitlistEntrySerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.entries_of(self.request.user)


class WaitlistEntryLeave(APIView):
    """Leave: 204; a pending offer's seats go to the next entry. 404 for anyone but the owner."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        services.leave(request.user, pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
