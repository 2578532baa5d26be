from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, waitlist

app_name = "site"

urlpatterns = [
    path("", views.home, name="home"),
    path("movies/<slug:slug>/", views.movie_detail, name="movie"),
    path("showtimes/<int:pk>/", views.showtime_detail, name="showtime"),
    path("showtimes/<int:pk>/hold/", views.hold, name="hold"),
    path("showtimes/<int:pk>/waitlist/", waitlist.join, name="waitlist_join"),
    path("waitlist/<int:pk>/leave/", waitlist.leave, name="waitlist_leave"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<uuid:pk>/", views.booking_detail, name="booking"),
    path("bookings/<uuid:pk>/status/", views.booking_status, name="booking_status"),
    path("bookings/<uuid:pk>/pay/", views.booking_pay, name="booking_pay"),
    path("bookings/<uuid:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("accounts/login/", views.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify_email"),
    # Ours first: it also saves a signed-in user's choice; the include keeps Django's name too.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]
