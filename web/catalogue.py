"""Reads of the catalogue shaped for the site's pages (no state changes here)."""

from itertools import groupby

from django.db.models import Prefetch
from django.utils import timezone

from cinema.models import Movie, Showtime

NEXT_SHOWTIMES_ON_HOME = 4


def upcoming_showtimes(now=None):
    return Showtime.objects.filter(starts_at__gt=now or timezone.now()).select_related("auditorium")


def movies_now_showing(now=None):
    """Movies with at least one upcoming showtime, each with `next_showtimes` (the first few)."""
    now = now or timezone.now()
    movies = (
        Movie.objects.filter(showtimes__starts_at__gt=now)
        .distinct()
        .prefetch_related(Prefetch("showtimes", queryset=upcoming_showtimes(now), to_attr="upcoming"))
    )
    movies = sorted(movies, key=lambda m: (m.upcoming[0].starts_at, m.title))
    for movie in movies:
        movie.next_showtimes = movie.upcoming[:NEXT_SHOWTIMES_ON_HOME]
    return movies


def showtimes_by_day(movie, now=None):
    """[(date, [showtimes])] of a movie's upcoming showtimes, days in the site's time zone."""
    showtimes = upcoming_showtimes(now).filter(movie=movie).order_by("starts_at")
    return [
        (day, list(items))
        for day, items in groupby(showtimes, key=lambda s: timezone.localtime(s.starts_at).date())
    ]
