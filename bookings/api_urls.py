from django.urls import path

from . import views

urlpatterns = [
    path("showtimes/<int:pk>/seats/", views.ShowtimeSeats.as_view(), name="showtime-seats"),
    path("bookings/", views.BookingListCreate.as_view(), name="booking-list"),
    path("bookings/<str:booking_id>/", views.BookingDetail.as_view(), name="booking-detail"),
    path("bookings/<str:booking_id>/cancel/", views.BookingCancel.as_view(), name="booking-cancel"),
]
