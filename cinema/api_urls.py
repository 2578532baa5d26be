from django.urls import path

from . import views

# The seat map, /showtimes/{id}/seats/, is served by bookings (availability is about holds).
urlpatterns = [
    path("movies/", views.MovieListCreate.as_view(), name="movie-list"),
    path("movies/<int:pk>/poster/", views.MoviePoster.as_view(), name="movie-poster"),
    path("auditoriums/", views.AuditoriumListCreate.as_view(), name="auditorium-list"),
    path("showtimes/", views.ShowtimeListCreate.as_view(), name="showtime-list"),
]
