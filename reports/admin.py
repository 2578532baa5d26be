"""Staff request reports here too; the list shows progress, errors and the download link."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from . import services
from .models import Report


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["kind", "format", "date_from", "date_to"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to"):
            services.validate_range(data["date_from"], data["date_to"])
        return data


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    form = ReportForm
    list_display = ["__str__", "status", "progress", "requested_by", "created_at", "finished_at", "download", "error"]
    list_filter = ["status", "kind", "format"]
    fields = ["kind", "format", "date_from", "date_to"]
    actions = ["request_again"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["kind", "format", "date_from", "date_to", "status", "progress", "error", "requested_by",
                "created_at", "started_at", "finished_at", "download"]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) if obj else self.fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        report = services.request_report(
            user=request.user, kind=obj.kind, format=obj.format, date_from=obj.date_from, date_to=obj.date_to
        )
        obj.pk = report.pk

    @admin.display(description="file")
    def download(self, report):
        if report.status != Report.Status.READY:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("report-download", args=[report.pk]), report.filename)

    @admin.action(description="Request the selected reports again")
    def request_again(self, request, queryset):
        for report in queryset:
            services.request_report(user=request.user, kind=report.kind, format=report.format,
                                    date_from=report.date_from, date_to=report.date_to)
        self.message_user(request, f"{queryset.count()} report(s) requested again.")
