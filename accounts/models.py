"""Users, kept in step with the auth provider (Clerk), and the provider's stored webhook events."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from core.webhooks import StoredWebhookEvent


def default_language():
    return settings.LANGUAGE_CODE


class User(AbstractUser):
    class Language(models.TextChoices):
        EN = "en", "English"
        VI = "vi", "Tiếng Việt"

    clerk_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    marketing_opt_in = models.BooleanField(default=False, help_text="Consent to new-movie emails.")
    language = models.CharField(max_length=2, choices=Language.choices, default=default_language)
    # The provider's `data.updated_at` (ms since epoch) of the last event applied: older ones are ignored.
    clerk_updated_at = models.BigIntegerField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_clerk_event = models.CharField(max_length=64, blank=True)
    # Set when the provider deleted the user: final, the row is anonymised and stays for the accounts.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # When `email` was proven to be theirs (the site's verification link, or the provider's verified
    # primary address); cleared when the address changes. Marketing email goes to verified addresses only.
    email_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["marketing_opt_in", "is_active", "id"], name="user_optin_keyset")]

    @property
    def is_deleted(self):
        return self.deleted_at is not None


class ClerkEvent(StoredWebhookEvent):
    """One auth-provider webhook delivery, stored once by its `svix-id` before it is applied."""

    svix_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=64)
    clerk_user_id = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta(StoredWebhookEvent.Meta):
        indexes = [models.Index(fields=["status", "received_at"], name="clerkevent_status_recv")]

    def __str__(self):
        return f"{self.type} {self.svix_id}"
