"""Admin: the outbox (filtered by status and kind, with the rendered message), resend and
send-now actions, the dead letters apart, and announcement progress.

django-celery-beat registers its own admin (the periodic tasks of the data migration are
editable there); nothing here replaces it."""

from django.contrib import admin, messages
from django.utils.html import format_html

from . import outbox
from .models import Announcement, DeadLetter, EmailAttachment, EmailMessage


class EmailAttachmentInline(admin.TabularInline):
    model = EmailAttachment
    fields = ["filename", "content_type", "content_id", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="bytes")
    def size(self, obj):
        return len(obj.content or b"")


# Delivery actions change rows and send mail: they need the change permission, not view.
@admin.action(description="Resend (failed, dead or sent messages go back to pending)", permissions=["change"])
def resend_messages(modeladmin, request, queryset):
    done = 0
    for message_id in queryset.values_list("pk", flat=True):
        try:
            outbox.resend(message_id)
            done += 1
        except outbox.NotResendable:
            pass
    modeladmin.message_user(request, f"{done} message(s) queued again.", messages.SUCCESS)


@admin.action(description="Send now (pending or failed messages, without waiting for the retry)", permissions=["change"])
def send_messages_now(modeladmin, request, queryset):
    done = sum(outbox.send_now(message_id) for message_id in queryset.values_list("pk", flat=True))
    modeladmin.message_user(request, f"{done} message(s) enqueued now.", messages.SUCCESS)


@admin.register(EmailMessage)
class EmailMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "to", "subject", "status", "attempts", "provider", "created_at", "sent_at"]
    list_filter = ["status", "kind", "provider", "language"]
    search_fields = ["to", "subject", "idempotency_key", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = [resend_messages, send_messages_now]
    inlines = [EmailAttachmentInline]
    list_select_related = False
    readonly_fields = [
        "kind", "to", "user", "subject", "language", "idempotency_key", "status", "attempts",
        "last_error", "provider", "provider_message_id", "next_attempt_at", "created_at",
        "updated_at", "sent_at", "headers", "rendered_html", "rendered_text",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "to", "user", "subject", "language", "idempotency_key"]}),
        ("Delivery", {"fields": ["status", "attempts", "next_attempt_at", "last_error", "provider",
                                 "provider_message_id", "created_at", "updated_at", "sent_at"]}),
        ("Message", {"fields": ["headers", "rendered_html", "rendered_text"]}),
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="HTML")
    def rendered_html(self, obj):
        # Sandboxed: the stored HTML is shown, never run, and cannot reach the admin's page.
        return format_html(
            '<iframe sandbox="" srcdoc="{}" style="width:100%;height:480px;border:1px solid #ccc;"></iframe>',
            obj.body_html or "",
        )

    @admin.display(description="Plain text")
    def rendered_text(self, obj):
        return format_html('<pre style="white-space:pre-wrap;">{}</pre>', obj.body_text)


@admin.register(DeadLetter)
class DeadLetterAdmin(EmailMessageAdmin):
    """Messages that gave up after their last attempt: inspect, fix the cause, resend."""

    list_display = ["id", "kind", "to", "subject", "attempts", "last_error", "updated_at"]
    list_filter = ["kind"]
    actions = [resend_messages]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=EmailMessage.Status.DEAD)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["movie", "status", "progress", "recipients", "created_at", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["movie", "status", "progress", "total_batches", "batches_done", "recipients",
                       "created_at", "finished_at"]
    fields = readonly_fields
    list_select_related = ["movie"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="batches done")
    def progress(self, obj):
        return f"{obj.batches_done} / {obj.total_batches}"
