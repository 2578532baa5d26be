"""Bookings: holds, the booking state machine, seats taken, tickets and stored Stripe events."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cinema.models import Seat, Showtime, TicketType
from cinema.pricing import ADULT
from core.webhooks import StoredWebhookEvent

# Unambiguous characters: no 0/O, 1/I/L.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference():
    """A short code a person can read out at the box office, e.g. K7Q-4XM2."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7))
    return f"{chars[:3]}-{chars[3:]}"


# --- the one expiry rule (DESIGN.md rule 1) ----------------------------------------------------
# A pending booking whose `expires_at` has passed is over at that instant: its seats are free,
# it cannot be paid or cancelled, whether or not the sweeper has marked it `expired` yet. Every
# read asks these two querysets (or Booking.is_lapsed), never compares `expires_at` itself.


def _lapsed(at, prefix=""):
    """Q of a hold that has run out at `at` (prefix: the path to a Booking's fields)."""
    return Q(**{f"{prefix}status": "pending", f"{prefix}expires_at__lte": at})


def live_seat(at, prefix=""):
    """Q of a BookingSeat row that holds or sells its seat at `at` (prefix: the path to the row's
    fields, e.g. "booking_seats__" from a Seat): active, and sold (no expiry) or within its hold."""
    return Q(**{f"{prefix}active": True}) & (
        Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": at})
    )


class BookingQuerySet(models.QuerySet):
    def lapsed(self, at=None):
        """Pending bookings whose hold has run out at `at` (default now): free, to be swept."""
        return self.filter(_lapsed(at or timezone.now()))

    def live(self, at=None):
        """Bookings that hold or own their seats at `at`: paid, or pending within the hold."""
        return self.filter(status__in=["pending", "paid"]).exclude(_lapsed(at or timezone.now()))

    def live_holds(self, at=None):
        """Pending bookings still within their hold at `at` (the anti-hoarding count)."""
        return self.filter(status="pending", expires_at__gt=at or timezone.now())  # pending minus lapsed()


class BookingSeatQuerySet(models.QuerySet):
    """Seat rows carry their booking's `expires_at` (null once sold), so the same rule is one
    indexed read of this table: an active row holds its seat unless it has lapsed."""

    def lapsed(self, at=None):
        return self.filter(active=True, expires_at__lte=at or timezone.now())

    def live(self, at=None):
        return self.filter(live_seat(at or timezone.now()))


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    class RefundStatus(models.TextChoices):
        NONE = "none", "None"
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class LatePayment(models.TextChoices):
        NONE = "", "—"
        KEPT = "kept", "Kept (seats taken again)"
        REFUNDED = "refunded", "Refunded (seats gone)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    showtime = models.ForeignKey(Showtime, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    # Payment
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    amount_paid_minor = models.BigIntegerField(null=True, blank=True)
    payment_issue = models.TextField(blank=True, help_text="Shown to staff: amount mismatch, late payment…")
    late_payment = models.CharField(max_length=16, choices=LatePayment.choices, default="", blank=True)
    # The bank declined a delayed payment method (async_payment_failed): the customer is told so.
    payment_failed = models.BooleanField(default=False)

    # Refund
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    refund_status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.NONE)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    refund_error = models.TextField(blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="booking_status_expiry"),
            models.Index(fields=["user", "showtime", "status"], name="booking_user_showtime"),
        ]

    def __str__(self):
        return self.reference

    def is_lapsed(self, at=None):
        """The expiry rule for one loaded booking: pending and past its hold at `at`."""
        return self.status == self.Status.PENDING and self.expires_at <= (at or timezone.now())

    def is_over(self, at=None):
        """Ended for good at `at`: cancelled, expired, or a hold that has run out."""
        return self.status in (self.Status.CANCELLED, self.Status.EXPIRED) or self.is_lapsed(at)


class BookingSeat(models.Model):
    """A seat taken by a booking. `active` rows hold or sell the seat; the partial unique
    index below makes a double sale impossible whatever the code above it does."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="booking_seats")
    showtime = models.ForeignKey(Showtime, on_delete=models.PROTECT, related_name="booking_seats")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="booking_seats")
    # The ticket this seat is sold as, by code (so reading it needs no join), and its price.
    ticket_type = models.ForeignKey(TicketType, to_field="code", on_delete=models.PROTECT, default=ADULT, related_name="+")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    active = models.BooleanField(default=True)
    # Copied from the booking so that availability is one indexed read of this table.
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Null once the seat is sold.")

    objects = BookingSeatQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["showtime", "seat"], condition=Q(active=True), name="uniq_active_seat_per_showtime"
            ),
        ]
        indexes = [models.Index(fields=["showtime", "active"], name="bookingseat_showtime_active")]


def new_ticket_code():
    return secrets.token_urlsafe(18)


class Ticket(models.Model):
    """One per paid seat. `code` is a random secret checked in the database (and signed for the QR)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tickets")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    ticket_type = models.ForeignKey(TicketType, to_field="code", on_delete=models.PROTECT, default=ADULT, related_name="+")
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    code = models.CharField(max_length=64, unique=True, default=new_ticket_code)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "seat"], name="uniq_ticket_per_seat")]

    def __str__(self):
        return f"{self.booking.reference} {self.seat.label}"


class StripeEvent(StoredWebhookEvent):
    """A Stripe webhook delivery, stored once by its event id, processed by a task."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="stripe_events")

    class Meta(StoredWebhookEvent.Meta):
        indexes = [models.Index(fields=["status", "received_at"], name="stripeevent_status_recv")]

    def __str__(self):
        return f"{self.type} {self.id}"

from .waitlist.models import WaitlistEntry  # noqa: E402,F401  (the waitlist sub-package owns it)
