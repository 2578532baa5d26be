from django.urls import path

from . import api

urlpatterns = [
    path("showtimes/<int:pk>/waitlist/", api.ShowtimeWaitlistJoin.as_view(), name="showtime-waitlist"),
    path("waitlist/", api.WaitlistList.as_view(), name="waitlist-list"),
    path("waitlist/<int:pk>/", api.WaitlistEntryLeave.as_view(), name="waitlist-entry"),
]
