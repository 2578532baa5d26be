"""Staff exports built by a worker: a row per request, the file in Django's storage once ready."""

import uuid

from django.conf import settings
from django.db import models


class Report(models.Model):
    """The id is a random UUID: the download link of one report cannot be guessed from another's."""

    class Kind(models.TextChoices):
        SALES = "sales", "Sales by showtime"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SALES)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    date_from = models.DateField()
    date_to = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    error = models.TextField(blank=True)
    file = models.FileField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} {self.date_from}..{self.date_to} ({self.format})"

    @property
    def filename(self):
        """What the download is called: sales_2026-01-01_2026-01-31.csv."""
        return f"{self.kind}_{self.date_from}_{self.date_to}.{self.format}"

    @property
    def content_type(self):
        return CONTENT_TYPES[self.format]


CONTENT_TYPES = {
    Report.Format.CSV: "text/csv; charset=utf-8",
    Report.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
