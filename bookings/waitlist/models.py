"""The waitlist entry: one user's wish for `quantity` seats of a sold-out showtime.

Imported by bookings.models (app label `bookings`, table `bookings_waitlistentry`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from cinema.models import Showtime


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered (seats held for them)"
        BOOKED = "booked", "Booked (the offer was paid)"
        EXPIRED = "expired", "Expired (the offer lapsed unpaid)"
        LEFT = "left", "Left (or declined the offer)"

    ACTIVE = (Status.WAITING, Status.OFFERED)

    # The joining order is the id: a bigint sequence, so "who was first" has one answer.
    id = models.BigAutoField(primary_key=True)
    showtime = models.ForeignKey(Showtime, on_delete=models.PROTECT, related_name="waitlist_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries")
    quantity = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    # The pending booking of the offer; one booking is the offer of at most one entry.
    booking = models.OneToOneField(
        "bookings.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="waitlist_entry"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When it was booked, expired or left.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            # Once per showtime while it is waiting or offered: a second join is 409 already_waiting.
            models.UniqueConstraint(
                fields=["showtime", "user"],
                condition=Q(status__in=["waiting", "offered"]),
                name="uniq_active_waitlist_entry",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="waitlist_quantity_positive"),
        ]
        indexes = [models.Index(fields=["showtime", "status", "id"], name="waitlist_showtime_status")]

    def __str__(self):
        return f"#{self.pk} {self.quantity} seat(s) for {self.user_id} ({self.status})"


class ShowtimeWaitlist(Showtime):
    """A showtime seen from its waitlist: the admin's page of each showtime's entries and outcomes."""

    class Meta:
        proxy = True
        verbose_name = "showtime waitlist"
