"""Admin of the waitlist: every entry (filterable by showtime and status, with its offer), and
each showtime's waitlist on one page: its entries in joining order and how their offers ended."""

from django.contrib import admin
from django.db.models import Count, Q

from .models import ShowtimeWaitlist, WaitlistEntry

Status = WaitlistEntry.Status


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "showtime", "user", "quantity", "status", "booking", "offer_status", "created_at", "offered_at", "ended_at"]
    list_filter = ["status", "showtime__starts_at"]
    search_fields = ["user__email", "user__username", "booking__reference", "showtime__movie__title"]
    list_select_related = ["showtime__movie", "showtime__auditorium", "user", "booking"]
    raw_id_fields = ["showtime", "user", "booking"]
    readonly_fields = ["showtime", "user", "quantity", "status", "booking", "created_at", "offered_at", "ended_at"]
    ordering = ["-id"]

    def has_add_permission(self, request):
        return False  # users join through the site or the API, where the rules are checked

    @admin.display(description="booking status")
    def offer_status(self, obj):
        return obj.booking.status if obj.booking_id else "–"


class EntryInline(admin.TabularInline):
    model = WaitlistEntry
    fk_name = "showtime"
    extra = 0
    can_delete = False
    ordering = ["id"]
    fields = ["id", "user", "quantity", "status", "booking", "created_at", "offered_at", "ended_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _count(status):
    return Count("waitlist_entries", filter=Q(waitlist_entries__status=status))


def _count_column(status):
    """A sortable column of how many of the showtime's entries are in `status`."""

    def column(obj):
        return getattr(obj, status)

    column.__name__ = status
    column.short_description = status
    column.admin_order_field = status
    return column


@admin.register(ShowtimeWaitlist)
class ShowtimeWaitlistAdmin(admin.ModelAdmin):
    """Showtimes that have a waitlist, with how many entries are in each state."""

    list_display = ["__str__", "starts_at", *(_count_column(status) for status in Status.values)]
    list_select_related = ["movie", "auditorium"]
    search_fields = ["movie__title"]
    date_hierarchy = "starts_at"
    fields = ["movie", "auditorium", "starts_at"]
    readonly_fields = fields
    inlines = [EntryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(waitlist_entries__isnull=False)
            .distinct()
            .annotate(**{status: _count(status) for status in Status.values})
            .order_by("-starts_at")
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
