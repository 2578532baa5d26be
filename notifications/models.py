"""The email outbox (the truth of email) and announcement progress.

The outbox knows nothing of bookings: a row carries its rendered message and a purpose key."""

from django.conf import settings
from django.db import models

from . import attachments


class EmailMessage(models.Model):
    class Kind(models.TextChoices):
        BOOKING_CONFIRMATION = "booking_confirmation", "Booking confirmation"
        BOOKING_CANCELLED = "booking_cancelled", "Booking cancelled"
        SHOWTIME_REMINDER = "showtime_reminder", "Showtime reminder"
        NEW_MOVIE = "new_movie", "New movie"
        CAMPAIGN = "campaign", "Campaign"
        EMAIL_VERIFICATION = "email_verification", "Email verification"
        WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead (gave up)"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    to = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, default="en")
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    campaign = models.ForeignKey(
        "notifications.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # Lets delivery skip the attachments query for the many messages that have none.
    attachment_count = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="email_status_updated"),
            models.Index(fields=["kind", "status"], name="email_kind_status"),
            models.Index(fields=["status", "next_attempt_at"], name="email_status_next_attempt"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to} ({self.status})"


class EmailAttachment(models.Model):
    """A file carried by a message; with a `content_id` it is also shown inline (QR codes).

    Either its bytes are stored (`content`) or it is deferred: `renderer` names a function of
    notifications.attachments that delivery calls with `source` when it builds the message."""

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField(blank=True, default=b"")
    content_id = models.CharField(max_length=255, blank=True)
    renderer = models.CharField(max_length=64, blank=True, help_text="Empty: the content is stored.")
    source = models.CharField(max_length=255, blank=True, help_text="What the renderer draws (a ticket code).")

    @property
    def deferred(self):
        return bool(self.renderer)

    def payload(self):
        """The bytes to send: the stored content, or the renderer's output for a deferred one."""
        if self.renderer:
            return attachments.render(self.renderer, self.source)
        return bytes(self.content)


class Announcement(models.Model):
    """One per movie: its new-movie fan-out and how far it has got."""

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        SENDING = "sending", "Sending batches"
        DONE = "done", "Done"

    movie = models.OneToOneField("cinema.Movie", on_delete=models.CASCADE, related_name="announcement")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNING)
    total_batches = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    recipients = models.PositiveIntegerField(default=0)
    # The planner's cursor: every eligible user with an id up to this one has their row.
    planned_through_user_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Announcement of {self.movie}"


class AnnouncementBatch(models.Model):
    """One batch task of an announcement: users with from_user_id <= id < before_user_id.

    Marked done once, under its row lock, so a redelivered batch task neither sends nor counts
    twice; an announcement re-run re-enqueues only the batches not done yet."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="batches")
    from_user_id = models.BigIntegerField()
    before_user_id = models.BigIntegerField(null=True, blank=True, help_text="Empty: to the last user.")
    recipients = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["announcement", "from_user_id"]
        constraints = [
            models.UniqueConstraint(fields=["announcement", "from_user_id"], name="uniq_announcement_batch"),
        ]

    def __str__(self):
        return f"{self.announcement} users {self.from_user_id}..{self.before_user_id or ''}"


class DeadLetter(EmailMessage):
    """The dead-letter queue: messages that gave up, shown apart in the admin."""

    class Meta:
        proxy = True
        verbose_name = "dead letter"
        verbose_name_plural = "dead letters (emails that gave up)"


class Campaign(models.Model):
    """A bulk email to an uploaded list of addresses (kind `campaign`).

    The valid, deduplicated recipients are kept as [email, name, language] triples; the planner
    (`notifications.send_campaign`) turns them into outbox rows in chunks, `planned` being its
    cursor into that list. Progress (queued, sent, failed, dead) is read from the outbox rows."""

    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    filename = models.CharField(max_length=255, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Distinct valid addresses of the file.")
    invalid = models.JSONField(default=list, blank=True, help_text="[{line, error}] of the file (header = line 1).")
    skipped_unsubscribed = models.PositiveIntegerField(default=0)
    planned = models.PositiveIntegerField(default=0, help_text="Recipients turned into outbox rows so far.")
    planned_at = models.DateTimeField(null=True, blank=True, help_text="When every outbox row existed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Campaign {self.pk}: {self.subject}"


class SuppressedAddress(models.Model):
    """The suppression list: an address that unsubscribed from any of our emails gets no more
    campaigns or announcements. Stored lower-cased (addresses are compared without case)."""

    email = models.CharField(max_length=254, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "suppressed addresses"

    def __str__(self):
        return self.email


class SendPace(models.Model):
    """A rate limit shared by every worker: the time from which the next message may go.

    A batch of k messages reserves k slots (k / rate seconds) and waits for its start, so the
    limit holds whatever the batch size (see notifications.pacing)."""

    name = models.CharField(max_length=32, primary_key=True)
    next_free_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: next slot {self.next_free_at:%H:%M:%S}"
