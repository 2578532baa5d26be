"""Admin of bookings: payment and refund state with refund actions, the stored Stripe events
with their processing state and a reprocess action, and tickets with their check-in."""

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from bookings.models import Booking, BookingSeat, StripeEvent, Ticket
from bookings.payments import refunds
from bookings.tasks import process_stripe_event
from bookings.tickets.services import qr_path
from core.tasks import enqueue_on_commit


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class BookingSeatInline(ReadOnlyInline):
    model = BookingSeat
    fields = ["seat", "price", "active", "expires_at"]
    readonly_fields = fields


class TicketInline(ReadOnlyInline):
    model = Ticket
    fields = ["seat", "code", "checked_in_at", "checked_in_by"]
    readonly_fields = fields


class StripeEventInline(ReadOnlyInline):
    model = StripeEvent
    fields = ["id", "type", "status", "attempts", "received_at", "processed_at", "last_error"]
    readonly_fields = fields
    show_change_link = True


class PaymentIssueFilter(admin.SimpleListFilter):
    title = "payment issue"
    parameter_name = "issue"

    def lookups(self, request, model_admin):
        return [("yes", "Has an issue"), ("no", "None")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(payment_issue="")
        if self.value() == "no":
            return queryset.filter(payment_issue="")
        return queryset


# Actions that move money or redo payments need the change permission, not view (finding 4).
@admin.action(description="Cancel and refund in full (paid bookings; ignores the policy window)", permissions=["change"])
def cancel_and_refund(modeladmin, request, queryset):
    done = sum(refunds.cancel_and_refund_in_full(pk) for pk in queryset.values_list("pk", flat=True))
    skipped = queryset.count() - done
    modeladmin.message_user(
        request, f"{done} booking(s) cancelled, refund sent; {skipped} skipped (not paid, or already refunding).",
        messages.SUCCESS if done else messages.WARNING,
    )


@admin.action(description="Retry failed refunds", permissions=["change"])
def retry_refunds(modeladmin, request, queryset):
    done = sum(refunds.retry_failed_refund(pk) for pk in queryset.values_list("pk", flat=True))
    modeladmin.message_user(request, f"{done} refund(s) sent again.", messages.SUCCESS if done else messages.WARNING)


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = [
        "reference", "user", "showtime", "status", "total", "currency", "paid_at",
        "refund_status", "refund_amount", "late_payment", "has_issue", "created_at",
    ]
    list_filter = ["status", "refund_status", "late_payment", PaymentIssueFilter, "currency"]
    search_fields = [
        "reference", "user__email", "user__username", "checkout_session_id", "payment_intent_id", "stripe_refund_id",
    ]
    date_hierarchy = "created_at"
    list_select_related = ["user", "showtime__movie", "showtime__auditorium"]
    actions = [cancel_and_refund, retry_refunds]
    inlines = [BookingSeatInline, TicketInline, StripeEventInline]
    fieldsets = [
        (None, {"fields": ["id", "reference", "user", "showtime", "status", "total", "currency", "expires_at",
                           "created_at", "paid_at", "cancelled_at", "expired_at"]}),
        ("Payment", {"fields": ["checkout_session_id", "payment_intent_id", "amount_paid_minor", "late_payment",
                                "payment_issue"]}),
        ("Refund", {"fields": ["refund_status", "refund_amount", "stripe_refund_id", "refund_error"]}),
    ]
    readonly_fields = [
        "id", "reference", "user", "showtime", "status", "total", "currency", "expires_at", "created_at", "paid_at",
        "cancelled_at", "expired_at", "checkout_session_id", "payment_intent_id", "amount_paid_minor",
        "late_payment", "refund_status", "refund_amount", "stripe_refund_id", "refund_error",
    ]

    def has_add_permission(self, request):
        return False  # bookings are made through the site, which holds the seats

    @admin.display(boolean=True, description="issue")
    def has_issue(self, obj):
        return bool(obj.payment_issue)


@admin.action(description="Reprocess (back to pending and enqueue)", permissions=["reprocess"])
def reprocess_events(modeladmin, request, queryset):
    ids = list(queryset.values_list("pk", flat=True))
    queryset.model.objects.filter(pk__in=ids).update(status=StripeEvent.Status.PENDING, processed_at=None)
    for event_id in ids:
        enqueue_on_commit(process_stripe_event, event_id)
    modeladmin.message_user(
        request, f"{len(ids)} event(s) queued again; transitions already made are not made twice.", messages.SUCCESS
    )


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "status", "attempts", "booking", "received_at", "processed_at", "short_error"]
    list_filter = ["status", "type"]
    search_fields = ["id", "booking__reference"]
    date_hierarchy = "received_at"
    actions = [reprocess_events]
    list_select_related = ["booking"]
    fields = ["id", "type", "status", "attempts", "booking", "received_at", "processed_at", "last_error", "pretty_payload"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a stored event is a record of what Stripe said: never edited

    def has_reprocess_permission(self, request):
        """Reprocessing changes bookings: the model's change permission, though the form is read-only."""
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.display(description="last error / note")
    def short_error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.display(description="payload")
    def pretty_payload(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", json.dumps(obj.payload, indent=2))


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "booking", "seat", "status_of_booking", "checked_in_at", "checked_in_by"]
    list_filter = ["booking__status", ("checked_in_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "booking__reference"]
    list_select_related = ["booking", "seat__auditorium", "checked_in_by"]
    fields = ["booking", "seat", "code", "created_at", "checked_in_at", "checked_in_by", "qr"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description="booking status")
    def status_of_booking(self, obj):
        return obj.booking.status

    @admin.display(description="QR")
    def qr(self, obj):
        return format_html('<img src="{}" width="160" height="160" alt="QR">', qr_path(obj))


from .waitlist import admin as waitlist_admin  # noqa: E402,F401  (registers the pages of the waitlist)
