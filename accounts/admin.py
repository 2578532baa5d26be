"""Admin: users with their provider id and sync state; the provider's stored events, replayable."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ClerkEvent, User


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted at the provider")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class SyncedFilter(admin.SimpleListFilter):
    title = _("provider sync")
    parameter_name = "synced"

    def lookups(self, request, model_admin):
        return [
            ("synced", _("Synced by an event")),
            ("jwt_only", _("Seen by a session token only")),
            ("local", _("Local (no provider id)")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "synced":
            return queryset.filter(clerk_id__isnull=False, last_synced_at__isnull=False)
        if self.value() == "jwt_only":
            return queryset.filter(clerk_id__isnull=False, last_synced_at__isnull=True)
        if self.value() == "local":
            return queryset.filter(clerk_id__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username", "email", "first_name", "last_name", "clerk_id", "is_active", "is_staff",
        "marketing_opt_in", "language", "last_synced_at", "last_clerk_event", "deleted_at",
    )
    list_filter = (
        DeletedFilter, SyncedFilter, "is_active", "is_staff", "is_superuser", "marketing_opt_in", "language",
    )
    search_fields = ("username", "email", "first_name", "last_name", "clerk_id", "last_clerk_event")
    readonly_fields = ("clerk_id", "clerk_updated_at", "last_synced_at", "last_clerk_event", "deleted_at")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Preferences"), {"fields": ("marketing_opt_in", "language")}),
        (
            _("Auth provider (Clerk)"),
            {"fields": ("clerk_id", "clerk_updated_at", "last_synced_at", "last_clerk_event", "deleted_at")},
        ),
    )


@admin.register(ClerkEvent)
class ClerkEventAdmin(admin.ModelAdmin):
    list_display = ("svix_id", "type", "clerk_user_id", "status", "attempts", "received_at", "processed_at", "error")
    list_filter = ("status", "type")
    search_fields = ("svix_id", "clerk_user_id")
    date_hierarchy = "received_at"
    readonly_fields = (
        "svix_id", "type", "clerk_user_id", "payload", "status", "attempts", "last_error",
        "received_at", "processed_at",
    )
    actions = ["replay"]

    @admin.display(description=_("last error"))
    def error(self, obj):
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Replay: apply the selected events again"), permissions=["change"])
    def replay(self, request, queryset):
        count = services.replay_events(queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d event(s) queued again.") % {"count": count}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False
