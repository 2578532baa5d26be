"""Campaigns: a bulk email to an uploaded CSV list of addresses.

The file is checked whole before anything is stored (a bad file is refused and queues nothing);
invalid lines are reported by number and never sent; addresses are deduplicated without case;
addresses on the suppression list are skipped and counted. `notifications.send_campaign` then
makes the outbox rows (kind `campaign`, each with its one-click unsubscribe link and headers) a
chunk per transaction and enqueues their send batches, which CAMPAIGN_RATE_LIMIT paces."""

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape

from core.errors import DomainError
from core.tasks import enqueue_on_commit, send_task_safely, task_named

from .models import Campaign, EmailMessage
from .outbox import PLAN_BUDGET_SECONDS, queue_emails_bulk
from .rendering import LANGUAGES, email_language, render_email
from .suppression import address_key, suppressed_among
from .unsubscribe import address_unsubscribe_url, list_unsubscribe_headers, unsubscribe_url

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
# A cell a spreadsheet would run as a formula when staff open the file (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAN_CHUNK = 1000
UNSUBSCRIBE_SLOT = "@@UNSUBSCRIBE_URL@@"


class BadRecipientsFile(DomainError):
    """The whole file is refused (a 400 naming why): nothing is stored or queued."""

    code = "invalid_recipients_file"


@dataclass
class RecipientList:
    recipients: list = field(default_factory=list)  # [email, name, language] of distinct valid addresses
    invalid: list = field(default_factory=list)  # [{"line", "error"}]
    skipped_unsubscribed: int = 0
    total: int = 0


def _rows(uploaded):
    """(line number, cells) of each record after the header, and the header's column names."""
    if uploaded.size is not None and uploaded.size > MAX_FILE_BYTES:
        raise BadRecipientsFile(code="file_too_large", detail="The recipients file is over 10 MB.")
    raw = uploaded.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise BadRecipientsFile(code="file_too_large", detail="The recipients file is over 10 MB.")
    try:
        if b"\x00" in raw:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRecipientsFile(code="not_csv", detail="The recipients file is not a CSV text file (UTF-8).") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        columns = [name.strip().lower() for name in header or []]
        if "email" not in columns:
            raise BadRecipientsFile(
                code="missing_email_column", detail="The recipients file has no `email` column in its header row."
            )
        _refuse_formulas(header, 1)
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise BadRecipientsFile(code="too_many_rows", detail=f"The recipients file has more than {MAX_ROWS:,} rows.")
            _refuse_formulas(cells, reader.line_num)
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise BadRecipientsFile(code="not_csv", detail=f"The recipients file is not valid CSV: {exc}.") from None
    return columns, rows


def _refuse_formulas(cells, line):
    for cell in cells:
        if cell.startswith(FORMULA_PREFIXES) or cell.lstrip().startswith(FORMULA_PREFIXES[:4]):
            raise BadRecipientsFile(
                code="formula_injection",
                detail=f"Line {line}: a cell starts with = + - or @ (a spreadsheet formula); remove it and upload again.",
            )


def read_recipients(uploaded):
    """Check an uploaded CSV list; raises BadRecipientsFile for a file refused whole."""
    columns, rows = _rows(uploaded)
    position = {name: columns.index(name) for name in ("email", "name", "language") if name in columns}

    def cell(cells, name):
        index = position.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    result, seen = RecipientList(), set()
    for line, cells in rows:
        email, language = cell(cells, "email"), cell(cells, "language").lower()
        try:
            validate_email(email)
        except ValidationError:
            result.invalid.append({"line": line, "error": "missing email address" if not email else "invalid email address"})
            continue
        if language and language not in LANGUAGES:
            result.invalid.append({"line": line, "error": f"unknown language (use {' or '.join(LANGUAGES)})"})
            continue
        key = address_key(email)
        if key in seen:
            continue
        seen.add(key)
        result.recipients.append([email, cell(cells, "name")[:150], language])
    result.total = len(result.recipients)
    suppressed = suppressed_among(email for email, _, _ in result.recipients)
    if suppressed:
        result.recipients = [r for r in result.recipients if address_key(r[0]) not in suppressed]
        result.skipped_unsubscribed = result.total - len(result.recipients)
    return result


def create_campaign(*, subject, body_text, body_html="", recipients_file, created_by=None):
    """Check the file, store the campaign and enqueue `notifications.send_campaign` after commit."""
    checked = read_recipients(recipients_file)
    return save_campaign(checked, subject=subject, body_text=body_text, body_html=body_html,
                         filename=getattr(recipients_file, "name", "") or "", created_by=created_by)


def save_campaign(checked, *, subject, body_text, body_html="", filename="", created_by=None):
    with transaction.atomic():
        campaign = Campaign.objects.create(
            subject=subject[:255], body_text=body_text, body_html=body_html or "", filename=filename[:255],
            recipients=checked.recipients, total=checked.total, invalid=checked.invalid,
            skipped_unsubscribed=checked.skipped_unsubscribed, created_by=created_by,
        )
        enqueue_on_commit(task_named("notifications.send_campaign"), campaign.pk)
    return campaign


class _CampaignTemplates:
    """The campaign rendered once per language with a stand-in for the unsubscribe link."""

    def __init__(self, campaign):
        self.campaign = campaign
        self.unsubscribe_base = unsubscribe_url(None)
        self._rendered = {}
        self._context = {
            "subject": campaign.subject,
            "body_text": campaign.body_text,
            "body_html": campaign.body_html,
            "unsubscribe_url": UNSUBSCRIBE_SLOT,
        }

    def message(self, email, language):
        language = email_language(language)
        if language not in self._rendered:
            self._rendered[language] = render_email("campaign", self._context, language)
        template = self._rendered[language]
        url = address_unsubscribe_url(email, base=self.unsubscribe_base)
        return EmailMessage(
            kind=EmailMessage.Kind.CAMPAIGN,
            to=email,
            campaign_id=self.campaign.pk,
            subject=template.subject,
            body_text=template.text.replace(UNSUBSCRIBE_SLOT, url),
            body_html=template.html.replace(UNSUBSCRIBE_SLOT, escape(url)),
            headers=list_unsubscribe_headers(url),
            language=language,
            idempotency_key=f"campaign:{self.campaign.pk}:{address_key(email)}",
        )


def plan_campaign(campaign_id):
    """Make the campaign's outbox rows and enqueue their send batches, PLAN_CHUNK recipients
    per transaction; run again, it goes on from its cursor (`planned`) and makes nothing twice.
    Returns the number of rows made."""
    campaign = Campaign.objects.filter(pk=campaign_id, planned_at__isnull=True).first()
    if campaign is None:
        return 0
    templates = _CampaignTemplates(campaign)
    made, started = 0, time.monotonic()
    while True:
        if time.monotonic() - started > PLAN_BUDGET_SECONDS:  # go on in a fresh task, inside its time limit
            send_task_safely(task_named("notifications.send_campaign"), args=(campaign_id,))
            return made
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().only("planned", "planned_at", "skipped_unsubscribed").get(
                pk=campaign_id
            )
            if locked.planned_at is not None:
                return made
            chunk = campaign.recipients[locked.planned:locked.planned + PLAN_CHUNK]
            if not chunk:
                locked.planned_at = timezone.now()
                locked.save(update_fields=["planned_at"])
                return made
            # Unsubscribed since the upload: skipped and counted too.
            suppressed = suppressed_among(email for email, _, _ in chunk)
            messages = [templates.message(email, language) for email, _, language in chunk
                        if address_key(email) not in suppressed]
            queue_emails_bulk(messages)
            made += len(messages)
            locked.planned += len(chunk)
            locked.skipped_unsubscribed += len(chunk) - len(messages)
            locked.save(update_fields=["planned", "skipped_unsubscribed"])


def progress(campaign):
    """{"status", "queued", "sent", "failed", "dead"}: `queued` is every address still to send
    (rows pending or sending, and recipients not yet planned); `done` once none is left and
    no message waits for a retry."""
    counts = dict(
        EmailMessage.objects.filter(campaign_id=campaign.pk)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    sent, failed, dead = (counts.get(s, 0) for s in (EmailMessage.Status.SENT, EmailMessage.Status.FAILED,
                                                      EmailMessage.Status.DEAD))
    queued = max(0, campaign.total - campaign.skipped_unsubscribed - sent - failed - dead)
    done = campaign.planned_at is not None and queued == 0 and failed == 0
    return {"status": "done" if done else "sending", "queued": queued, "sent": sent, "failed": failed, "dead": dead}


def requeue_stuck_campaigns():
    """For the per-minute sweep: a campaign whose rows are not all made REQUEUE_STALE_AFTER_SECONDS
    after its creation lost its planner (an enqueue, a killed worker); plan it again."""
    send_campaign = task_named("notifications.send_campaign")
    cutoff = timezone.now() - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    ids = list(Campaign.objects.filter(planned_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True))
    for campaign_id in ids:
        send_task_safely(send_campaign, args=(campaign_id,))
    return ids
