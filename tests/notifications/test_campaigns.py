"""Campaigns from an uploaded CSV list: checked lines, deduplicated and suppressed addresses,
one-click unsubscribe, progress, bad files refused whole, and the rate limit over time."""

import heapq
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from notifications import outbox, sending
from notifications.campaigns import plan_campaign
from notifications.models import Campaign, EmailMessage, SuppressedAddress
from tests.support.waiting import wait_for
from tests.factories import UserFactory

UNSUBSCRIBE_LINK = re.compile(r"http://testserver/unsubscribe/[^/\s\"<>]+/")
GOOD_CSV = (
    "email,name,language\n"  # line 1
    "ada@example.com,Ada,en\n"  # 2
    "not-an-address,Bob,en\n"  # 3: invalid
    "ADA@Example.com,Ada again,vi\n"  # 4: duplicate without case
    "lan@example.com,Lan,vi\n"  # 5
    ",Nobody,en\n"  # 6: missing
    "gone@example.com,Gone,en\n"  # 7: unsubscribed before
    "kim@example.com,Kim,fr\n"  # 8: unknown language
    '"quoted@example.com","Quoted, Name",\n'  # 9
)


def _csv(text, name="list.csv"):
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


def _post(client, recipients, **fields):
    data = {"subject": "Autumn festival", "body_text": "Ten films, one weekend.", "recipients": recipients, **fields}
    return client.post("/api/v1/campaigns/", data, format="multipart")


@pytest.mark.postgres
def test_a_campaign_reaches_each_valid_address_once_through_a_real_worker(
    celery_worker, accepting_smtp, use_providers, staff_client, settings
):
    settings.CAMPAIGN_RATE_LIMIT = "6000/m"
    use_providers(accepting_smtp)
    SuppressedAddress.objects.create(email="gone@example.com")

    response = _post(staff_client, _csv(GOOD_CSV), body_html="<p>Ten films, <b>one</b> weekend.</p>")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "sending" and body["total"] == 4  # ada, lan, gone, quoted
    assert body["skipped_unsubscribed"] == 1
    assert body["invalid"] == [
        {"line": 3, "error": "invalid email address"},
        {"line": 6, "error": "missing email address"},
        {"line": 8, "error": "unknown language (use en or vi)"},
    ]
    campaign_url = f"/api/v1/campaigns/{body['id']}/"
    wait_for(lambda: staff_client.get(campaign_url).json()["status"] == "done", timeout=60, what="campaign done")

    done = staff_client.get(campaign_url).json()
    assert (done["queued"], done["sent"], done["failed"], done["dead"]) == (0, 3, 0, 0)
    recipients = sorted(m["rcpt_tos"][0] for m in accepting_smtp.messages)
    assert recipients == ["ada@example.com", "lan@example.com", "quoted@example.com"]
    [lan] = accepting_smtp.to("lan@example.com")
    text = lan.get_body(("plain",)).get_content()
    link = UNSUBSCRIBE_LINK.search(text).group(0)
    assert "Ten films, one weekend." in text and "Hủy đăng ký" in text  # Vietnamese footer
    assert link in lan.get_body(("html",)).get_content() and "<b>one</b>" in lan.get_body(("html",)).get_content()
    assert lan["List-Unsubscribe"].strip() == f"<{link}>"
    assert lan["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert EmailMessage.objects.filter(kind="campaign").count() == 3


@pytest.mark.django_db
def test_the_unsubscribe_link_suppresses_the_address_and_opts_its_user_out(staff_client, settings):
    settings.CAMPAIGN_RATE_LIMIT = ""
    fan = UserFactory(email="Fan@Example.com", marketing_opt_in=True)
    response = _post(staff_client, _csv("email\nfan@example.com\nother@example.com\n"))
    plan_campaign(response.json()["id"])
    message = EmailMessage.objects.get(kind="campaign", to="fan@example.com")
    link = UNSUBSCRIBE_LINK.search(message.body_text).group(0).replace("http://testserver", "")

    assert Client().get(link).status_code == 200 and not SuppressedAddress.objects.exists()  # GET changes nothing
    assert Client(enforce_csrf_checks=True).post(link).status_code == 200

    assert list(SuppressedAddress.objects.values_list("email", flat=True)) == ["fan@example.com"]
    fan.refresh_from_db()
    assert not fan.marketing_opt_in
    later = _post(staff_client, _csv("email\nFAN@example.com\nother@example.com\n")).json()
    assert (later["total"], later["skipped_unsubscribed"]) == (2, 1)
    plan_campaign(later["id"])
    assert list(Campaign.objects.get(pk=later["id"]).messages.values_list("to", flat=True)) == ["other@example.com"]


@pytest.mark.django_db
def test_an_address_unsubscribed_after_the_upload_is_skipped_when_planning(staff_client):
    campaign = _post(staff_client, _csv("email\na@example.com\nb@example.com\n")).json()
    SuppressedAddress.objects.create(email="b@example.com")

    plan_campaign(campaign["id"])

    assert list(EmailMessage.objects.filter(kind="campaign").values_list("to", flat=True)) == ["a@example.com"]
    assert staff_client.get(f"/api/v1/campaigns/{campaign['id']}/").json()["skipped_unsubscribed"] == 1


@pytest.mark.django_db
def test_planning_twice_makes_each_row_once(staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        campaign = _post(staff_client, _csv("email\n" + "".join(f"u{i}@example.com\n" for i in range(30)))).json()
    plan_campaign(campaign["id"])
    plan_campaign(campaign["id"])
    assert EmailMessage.objects.filter(kind="campaign").count() == 30
    assert staff_client.get(f"/api/v1/campaigns/{campaign['id']}/").json()["queued"] == 30


BAD_FILES = {
    "not_csv": _csv(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="poster.png"),
    "missing_email_column": _csv("mail,name\nada@example.com,Ada\n"),
    "too_many_rows": _csv("email\n" + "".join(f"u{i}@example.com\n" for i in range(100_001))),
    "file_too_large": _csv("email,name\n" + ("ada@example.com," + "x" * 1000 + "\n") * 10_500),
    "formula_injection": _csv("email,name\nada@example.com,Ada\nbob@example.com,=HYPERLINK(\"http://x\")\n"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("code", list(BAD_FILES))
def test_a_bad_file_is_a_clear_400_and_queues_nothing(staff_client, code, django_capture_on_commit_callbacks):
    upload = BAD_FILES[code]
    upload.seek(0)
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(staff_client, upload)
    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["detail"]
    assert not Campaign.objects.exists() and not EmailMessage.objects.exists() and callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["+", "-", "@", " ="])
def test_every_formula_prefix_is_refused_with_its_line(staff_client, prefix):
    response = _post(staff_client, _csv(f"email,name\nada@example.com,Ada\nbob@example.com,{prefix}cmd\n"))
    assert response.status_code == 400 and response.json()["code"] == "formula_injection"
    assert "Line 3" in response.json()["detail"]


@pytest.mark.django_db
def test_campaigns_are_for_staff_only(user_client, anon_client):
    assert _post(user_client, _csv("email\na@example.com\n")).status_code == 403
    assert _post(anon_client, _csv("email\na@example.com\n")).status_code == 401
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_the_admin_uploads_a_campaign_and_shows_its_progress_bar(staff_user, client):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    response = client.post("/admin/notifications/campaign/add/", {
        "subject": "Festival", "body_text": "Come", "body_html": "",
        "recipients_file": _csv("email\na@example.com\nbad\n"),
    })
    assert response.status_code == 302, response.content[:2000]
    campaign = Campaign.objects.get()
    assert (campaign.total, campaign.invalid) == (1, [{"line": 3, "error": "invalid email address"}])
    page = client.get(f"/admin/notifications/campaign/{campaign.pk}/change/").content.decode()
    assert "<progress" in page and "line 3: invalid email address" in page
    assert "<progress" in client.get("/admin/notifications/campaign/").content.decode()

    refused = client.post("/admin/notifications/campaign/add/", {
        "subject": "Festival", "body_text": "Come", "recipients_file": _csv("name\nAda\n"),
    })
    assert refused.status_code == 200 and "no `email` column" in refused.content.decode()
    assert Campaign.objects.count() == 1


@pytest.mark.django_db
def test_the_rate_limit_holds_over_every_minute_whatever_the_batch_size(
    staff_client, accepting_smtp, use_providers, settings, monkeypatch
):
    """Given CAMPAIGN_RATE_LIMIT 10/m and 25 addresses enqueued in batches of 10 at once, no
    60-second window sees more than 10 sends, and all 25 go in about 2.5 minutes."""
    settings.CAMPAIGN_RATE_LIMIT = "10/m"
    settings.EMAIL_SEND_BATCH_SIZE = 10
    use_providers(accepting_smtp)
    start = timezone.now()
    broker = []  # (due, seq, task name, args): what the broker would hold

    def publish(task, args_list, countdown=0, **kw):
        for args in args_list:
            heapq.heappush(broker, (timezone.now() + timedelta(seconds=countdown), len(broker), task.name, args))
        return len(args_list)

    monkeypatch.setattr(outbox, "send_tasks_safely", publish)
    monkeypatch.setattr(outbox, "enqueue_many_on_commit", lambda task, args_list: publish(task, args_list))
    with time_machine.travel(start, tick=False) as traveller:
        monkeypatch.setattr(sending, "_sleep", lambda seconds: traveller.shift(timedelta(seconds=seconds)))
        campaign = _post(staff_client, _csv("email\n" + "".join(f"u{i}@example.com\n" for i in range(25)))).json()
        plan_campaign(campaign["id"])
        next_sweep = timezone.now()
        while EmailMessage.objects.filter(kind="campaign").exclude(status="sent").exists():
            assert timezone.now() < start + timedelta(minutes=5), "not sent in time"
            if broker and broker[0][0] <= next_sweep:
                due, _, name, args = heapq.heappop(broker)
                traveller.move_to(max(due, timezone.now()))
                assert name == "notifications.send_email_batch"
                sending.send_batch(*args)
            else:  # the per-minute sweep hands over what waits in the database
                traveller.move_to(max(next_sweep, timezone.now()))
                from notifications.tasks import requeue_stale_emails

                requeue_stale_emails()
                next_sweep += timedelta(minutes=1)

    sent_at = sorted(EmailMessage.objects.filter(kind="campaign").values_list("sent_at", flat=True))
    assert len(sent_at) == len(accepting_smtp.messages) == 25
    per_window = [sum(1 for t in sent_at if s <= t < s + timedelta(seconds=60)) for s in sent_at]
    assert max(per_window) == 10
    assert sent_at[-1] - sent_at[0] >= timedelta(seconds=24 * 6)


@pytest.mark.django_db
def test_a_long_plan_hands_over_to_a_fresh_task_and_goes_on_from_its_cursor(staff_client, monkeypatch):
    from notifications import campaigns

    handed_over = []
    monkeypatch.setattr(campaigns, "send_task_safely", lambda task, args: handed_over.append((task.name, args)))
    monkeypatch.setattr(campaigns, "PLAN_CHUNK", 10)
    campaign = _post(staff_client, _csv("email\n" + "".join(f"u{i}@example.com\n" for i in range(25)))).json()
    clock = iter([0.0, 0.0, 100.0])  # the budget runs out after the first chunk
    monkeypatch.setattr(campaigns.time, "monotonic", lambda: next(clock, 100.0))

    assert plan_campaign(campaign["id"]) == 10
    assert handed_over == [("notifications.send_campaign", (campaign["id"],))]
    monkeypatch.setattr(campaigns.time, "monotonic", lambda: 0.0)
    assert plan_campaign(campaign["id"]) == 15
    assert EmailMessage.objects.filter(kind="campaign").count() == 25
