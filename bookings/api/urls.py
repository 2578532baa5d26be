from django.urls import path

from bookings.api import payment_views, views

urlpatterns = [
    path("showtimes/<int:pk>/seats/", views.ShowtimeSeats.as_view(), name="showtime-seats"),
    path("bookings/", views.BookingListCreate.as_view(), name="booking-list"),
    path("bookings/<str:booking_id>/", views.BookingDetail.as_view(), name="booking-detail"),
    path("bookings/<str:booking_id>/cancel/", views.BookingCancel.as_view(), name="booking-cancel"),
    # payments (bookings.api.payment_views)
    path("bookings/<str:booking_id>/checkout/", payment_views.CheckoutView.as_view(), name="booking-checkout"),
    path("webhooks/stripe/", payment_views.StripeWebhookView.as_view(), name="stripe-webhook"),
    path("tickets/<int:pk>/qr.png", payment_views.TicketQRView.as_view(), name="ticket-qr"),
    path("checkin/", payment_views.CheckInView.as_view(), name="checkin"),
]
