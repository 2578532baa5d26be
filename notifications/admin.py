"""Admin: the outbox (filtered by status and kind, with the rendered message), resend and
send-now actions, the dead letters apart, announcement progress, campaigns (upload a CSV list,
follow a progress bar) and the suppression list.

django-celery-beat registers its own admin (the periodic tasks of the data migration are
editable there); nothing here replaces it."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from . import campaigns, outbox
from .models import Announcement, Campaign, DeadLetter, EmailAttachment, EmailMessage, SuppressedAddress


class EmailAttachmentInline(admin.TabularInline):
    model = EmailAttachment
    fields = ["filename", "content_type", "content_id", "size", "renderer", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="bytes")
    def size(self, obj):
        """A deferred attachment (a ticket's QR) has no stored bytes: it is drawn when sent."""
        return "rendered when sent" if obj.deferred else len(obj.content or b"")


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


class CampaignUploadForm(forms.ModelForm):
    """The admin's campaign upload: the file is checked as the API checks it (same rules)."""

    recipients_file = forms.FileField(help_text="CSV with a header row: email, and optionally name and language.")

    class Meta:
        model = Campaign
        fields = ["subject", "body_text", "body_html"]

    def clean_recipients_file(self):
        uploaded = self.cleaned_data["recipients_file"]
        try:
            self.checked = campaigns.read_recipients(uploaded)
        except campaigns.BadRecipientsFile as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None
        return uploaded


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "progress_bar", "total", "skipped_unsubscribed", "created_at"]
    readonly_fields = ["subject", "progress_bar", "counts", "total", "skipped_unsubscribed", "invalid_lines",
                       "filename", "planned", "planned_at", "created_by", "created_at"]
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("recipients")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CampaignUploadForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["subject", "body_text", "body_html", "recipients_file"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return obj is None or request.method == "GET"

    def save_model(self, request, obj, form, change):
        upload = form.cleaned_data["recipients_file"]
        saved = campaigns.save_campaign(
            form.checked, subject=obj.subject, body_text=obj.body_text, body_html=obj.body_html,
            filename=upload.name, created_by=request.user,
        )
        obj.pk = saved.pk
        self.message_user(
            request,
            f"{saved.total} address(es) queued; {len(saved.invalid)} invalid line(s); "
            f"{saved.skipped_unsubscribed} skipped (unsubscribed).",
            messages.SUCCESS,
        )

    def _progress(self, obj):
        if not hasattr(obj, "_progress"):
            obj._progress = campaigns.progress(obj)
        return obj._progress

    @admin.display(description="progress")
    def progress_bar(self, obj):
        p = self._progress(obj)
        to_send = max(obj.total - obj.skipped_unsubscribed, 0)
        finished = p["sent"] + p["dead"]
        percent = 100 if not to_send else round(100 * finished / to_send)
        return format_html(
            '<progress value="{}" max="100" style="width:12em;"></progress> {}% ({})',
            percent, percent, p["status"],
        )

    @admin.display(description="queued / sent / failed / dead")
    def counts(self, obj):
        p = self._progress(obj)
        return f"{p['queued']} / {p['sent']} / {p['failed']} / {p['dead']}"

    @admin.display(description="invalid lines")
    def invalid_lines(self, obj):
        lines = obj.invalid or []
        return format_html(
            '<pre style="white-space:pre-wrap;">{}</pre>',
            "\n".join(f"line {item['line']}: {item['error']}" for item in lines[:500]) or "none",
        )


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "created_at"]
    search_fields = ["email"]
