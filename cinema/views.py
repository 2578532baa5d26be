"""Catalogue endpoints: thin views over the serializers and cinema.services."""

from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from . import posters

from .models import Auditorium, Movie, Showtime
from .permissions import IsStaff, IsStaffOrReadOnly
from .serializers import AuditoriumSerializer, MovieSerializer, ShowtimeQuerySerializer, ShowtimeSerializer


class MovieListCreate(generics.ListCreateAPIView):
    """GET: movies with at least one upcoming showtime. POST (staff): a movie; its slug comes from the title."""

    serializer_class = MovieSerializer
    permission_classes = [IsStaffOrReadOnly]

    def get_queryset(self):
        upcoming = Showtime.objects.filter(movie=OuterRef("pk"), starts_at__gt=timezone.now())
        return Movie.objects.filter(Exists(upcoming)).order_by("title", "id")


class AuditoriumListCreate(generics.ListCreateAPIView):
    """GET: auditoriums with their seat count. POST (staff): {name, rows, seats_per_row} makes the grid."""

    serializer_class = AuditoriumSerializer
    permission_classes = [IsStaffOrReadOnly]
    queryset = Auditorium.objects.order_by("name", "id")


class ShowtimeListCreate(generics.ListCreateAPIView):
    """GET: upcoming showtimes, optionally of one movie. POST (staff): schedule one (no overlap)."""

    serializer_class = ShowtimeSerializer
    permission_classes = [IsStaffOrReadOnly]

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


class MoviePoster(APIView):
    """POST (staff, multipart `image`): store the original and answer 202; a worker makes the
    WebP sizes (`poster.status` goes from processing to ready or failed)."""

    permission_classes = [IsStaff]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}}}},
        responses={202: MovieSerializer},
    )
    def post(self, request, pk):
        movie = get_object_or_404(Movie, pk=pk)
        try:
            movie = posters.set_poster(movie, request.FILES.get("image"))
        except posters.PosterRejected as exc:
            raise ValidationError(exc.detail, code=exc.code) from None
        return Response(MovieSerializer(movie, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


@require_safe
def poster_file(request, name):
    """A processed poster size from the storage (MEDIA_URL/posters/...), for deployments where
    nothing else serves MEDIA_ROOT. Names carry a random token: cached for a year. Only this
    prefix is public: originals and report files are not served here."""
    path = f"{posters.PUBLIC_PREFIX}{name}"
    if ".." in name.split("/") or not name.endswith(".webp") or not default_storage.exists(path):
        raise Http404
    response = FileResponse(default_storage.open(path, "rb"), content_type="image/webp")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
