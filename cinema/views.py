"""Catalogue endpoints: thin views over the serializers and cinema.services."""

from django.db.models import Exists, OuterRef
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from .models import Auditorium, Movie, Showtime, TicketType
from .permissions import IsStaffOrReadOnly
from .serializers import (
    AuditoriumSerializer,
    MovieSerializer,
    ShowtimeQuerySerializer,
    ShowtimeSerializer,
    TicketTypeSerializer,
)


class MovieListCreate(generics.ListCreateAPIView):
    """GET: movies with at least one upcoming showtime. POST (staff): a movie; its slug comes from the title."""

    serializer_class = MovieSerializer
    permission_classes = [IsStaffOrReadOnly]

    def get_queryset(self):
        upcoming = Showtime.objects.filter(movie=OuterRef("pk"), starts_at__gt=timezone.now())
        return Movie.objects.filter(Exists(upcoming)).order_by("title", "id")


class AuditoriumListCreate(generics.ListCreateAPIView):
    """GET: auditoriums with their seat count and categories. POST (staff): {name, layout} draws
    the hall (aisles, wheelchair spaces, categories), or {name, rows, seats_per_row} a plain grid."""

    serializer_class = AuditoriumSerializer
    permission_classes = [IsStaffOrReadOnly]
    queryset = Auditorium.objects.order_by("name", "id")


class ShowtimeListCreate(generics.ListCreateAPIView):
    """GET: upcoming showtimes, optionally of one movie. POST (staff): schedule one (no overlap)."""

    serializer_class = ShowtimeSerializer
    permission_classes = [IsStaffOrReadOnly]

    def get_serializer_context(self):
        # The created showtime answers with its resolved prices; the list stays one query.
        return {**super().get_serializer_context(), "with_prices": self.request.method == "POST"}

    @extend_schema(parameters=[OpenApiParameter("movie", int, description="only this movie's showtimes")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ShowtimeQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        showtimes = Showtime.objects.filter(starts_at__gt=timezone.now()).order_by("starts_at", "id")
        if "movie" in query.validated_data:
            showtimes = showtimes.filter(movie_id=query.validated_data["movie"])
        return showtimes


class ShowtimeDetail(generics.RetrieveAPIView):
    """GET: one showtime with its resolved `prices` (every ticket type in every seat category)."""

    serializer_class = ShowtimeSerializer
    queryset = Showtime.objects.select_related("auditorium")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_prices": True}


class TicketTypeList(generics.ListAPIView):
    """GET (anyone): the ticket types: code, name, and whether the door must ask for proof."""

    serializer_class = TicketTypeSerializer
    permission_classes = [IsStaffOrReadOnly]
    queryset = TicketType.objects.order_by("position", "code")
