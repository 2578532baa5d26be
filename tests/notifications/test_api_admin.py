"""The outbox API (filters, permissions, resend), the admin pages and the beat schedules."""

import pytest
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from notifications.models import EmailMessage


def _row(key, user=None, **fields):
    values = {"kind": "booking_confirmation", "to": "x@example.com", "subject": key, "body_text": key,
              "body_html": f"<p>{key}</p>", **fields}
    return EmailMessage.objects.create(idempotency_key=key, user=user, **values)


@pytest.fixture
def outbox(user, other_user):
    return {
        "mine_sent": _row("a", user, to=user.email, status="sent"),
        "mine_dead": _row("b", user, to=user.email, status="dead", kind="new_movie", attempts=6, last_error="451"),
        "theirs": _row("c", other_user, to=other_user.email, status="sent"),
        "pending": _row("d", other_user, to=other_user.email, status="pending", kind="showtime_reminder"),
    }


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_staff_see_every_message_and_a_user_only_their_own(outbox, staff_client, user_client):
    assert _ids(staff_client.get("/api/v1/emails/")) == {m.pk for m in outbox.values()}
    assert _ids(user_client.get("/api/v1/emails/")) == {outbox["mine_sent"].pk, outbox["mine_dead"].pk}


@pytest.mark.django_db
def test_filters_by_to_status_and_kind(outbox, staff_client, user_client, other_user):
    assert _ids(staff_client.get("/api/v1/emails/", {"to": other_user.email.upper()})) == {
        outbox["theirs"].pk, outbox["pending"].pk}
    assert _ids(staff_client.get("/api/v1/emails/", {"status": "dead"})) == {outbox["mine_dead"].pk}
    assert _ids(staff_client.get("/api/v1/emails/", {"kind": "showtime_reminder"})) == {outbox["pending"].pk}
    assert _ids(user_client.get("/api/v1/emails/", {"to": other_user.email})) == set()
    row = staff_client.get("/api/v1/emails/", {"status": "dead"}).json()["results"][0]
    assert set(row) == {"id", "kind", "to", "subject", "status", "attempts", "last_error", "provider",
                        "created_at", "sent_at"}


@pytest.mark.django_db
def test_bad_filter_is_a_400_in_the_error_shape(staff_client):
    response = staff_client.get("/api/v1/emails/", {"status": "lost"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_choice" and "detail" in response.json()


@pytest.mark.django_db
def test_anonymous_is_401(outbox):
    assert APIClient().get("/api/v1/emails/").status_code == 401
    assert APIClient().post(f"/api/v1/emails/{outbox['mine_dead'].pk}/resend/").status_code == 401


@pytest.mark.django_db
def test_resend_is_staff_only_and_only_for_finished_messages(
    outbox, staff_client, user_client, django_capture_on_commit_callbacks
):
    dead = outbox["mine_dead"]
    response = user_client.post(f"/api/v1/emails/{dead.pk}/resend/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert EmailMessage.objects.get(pk=dead.pk).status == "dead"

    response = staff_client.post(f"/api/v1/emails/{outbox['pending'].pk}/resend/")
    assert response.status_code == 409 and response.json()["code"] == "not_resendable"
    assert staff_client.post("/api/v1/emails/999999/resend/").status_code == 404

    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post(f"/api/v1/emails/{dead.pk}/resend/")
    assert response.status_code == 200
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.next_attempt_at) == ("pending", 0, None)
    assert len(callbacks) == 1  # notifications.send_email enqueued after commit


@pytest.fixture
def admin_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


@pytest.mark.django_db
def test_admin_outbox_dead_letters_rendered_message_and_announcements(admin_client, outbox, movie):
    from notifications.models import Announcement

    Announcement.objects.create(movie=movie, total_batches=4, batches_done=3, status="sending")
    listing = admin_client.get("/admin/notifications/emailmessage/?status__exact=dead&kind__exact=new_movie")
    assert listing.status_code == 200 and b"451" not in listing.content
    dead_letters = admin_client.get("/admin/notifications/deadletter/")
    assert dead_letters.status_code == 200 and b"451" in dead_letters.content
    change = admin_client.get(f"/admin/notifications/emailmessage/{outbox['mine_sent'].pk}/change/")
    assert change.status_code == 200 and b"srcdoc=" in change.content and b"&lt;p&gt;a&lt;/p&gt;" in change.content
    announcements = admin_client.get("/admin/notifications/announcement/")
    assert announcements.status_code == 200 and b"3 / 4" in announcements.content


@pytest.mark.django_db
def test_admin_resend_action(admin_client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/notifications/emailmessage/",
            {"action": "resend_messages", "_selected_action": [outbox["mine_dead"].pk, outbox["pending"].pk]},
        )
    assert response.status_code == 302
    assert EmailMessage.objects.get(pk=outbox["mine_dead"].pk).status == "pending"
    assert len(callbacks) == 1  # the pending one was not resendable


@pytest.mark.django_db
def test_beat_schedules_exist_and_stay_editable_in_the_admin(admin_client):
    reminders = PeriodicTask.objects.get(name="notifications.send_showtime_reminders")
    sweep = PeriodicTask.objects.get(name="notifications.requeue_stale_emails")
    assert (reminders.task, reminders.interval.every, reminders.interval.period) == (
        "notifications.send_showtime_reminders", 1, "hours")
    assert (sweep.task, sweep.interval.every, sweep.interval.period) == (
        "notifications.requeue_stale_emails", 1, "minutes")
    assert reminders.enabled and sweep.enabled
    listing = admin_client.get("/admin/django_celery_beat/periodictask/")
    assert listing.status_code == 200 and b"notifications.requeue_stale_emails" in listing.content
    assert admin_client.get(f"/admin/django_celery_beat/periodictask/{sweep.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_admin_send_now_action_skips_the_wait_for_a_retry(admin_client, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    waiting = _row("w", status="failed", attempts=2, next_attempt_at=timezone.now() + timedelta(minutes=30))
    sent = _row("s", status="sent")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/notifications/emailmessage/",
            {"action": "send_messages_now", "_selected_action": [waiting.pk, sent.pk]},
        )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.next_attempt_at is None and waiting.status == "failed"
    assert len(callbacks) == 1  # a sent message is not sent again by "send now"


@pytest.mark.django_db
def test_admin_outbox_shows_stored_and_deferred_attachments(admin_client):
    from notifications.models import EmailAttachment

    message = _row("with-files", attachment_count=2)
    EmailAttachment.objects.create(message=message, filename="terms.pdf", content_type="application/pdf",
                                   content=b"%PDF-12345")
    EmailAttachment.objects.create(message=message, filename="ticket-R-A1.png", content_type="image/png",
                                   content_id="ticket-1@r", renderer="ticket_qr", source="code-of-the-ticket")

    page = admin_client.get(f"/admin/notifications/emailmessage/{message.pk}/change/").content.decode()

    assert "terms.pdf" in page and ">10<" in page  # stored: its size in bytes
    assert "ticket-R-A1.png" in page and "rendered when sent" in page and "ticket_qr" in page
