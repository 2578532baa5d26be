"""Site pages of payments (outside /api/): the local gateway's checkout page."""

from django.urls import path

from bookings.api import payment_views

app_name = "payments"

urlpatterns = [
    path("pay/local/<str:session_id>/", payment_views.local_pay, name="local-pay"),
]
