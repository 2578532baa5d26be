"""Delivery through real SMTP servers: fallback, retries ending dead, resend, idempotent sends,
one connection reused, abandoned rows swept."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import delivery
from notifications.models import EmailMessage
from notifications.outbox import Attachment, queue_email
from notifications.tasks import requeue_stale_emails, send_email
from tests.support.race import run_at_once
from tests.support.waiting import wait_for


def _queue(key="k1", to="ada@example.com", **kw):
    with transaction.atomic():
        message, created = queue_email(
            EmailMessage.Kind.BOOKING_CONFIRMATION,
            to,
            f"Subject {key}",
            f"Text {key}",
            f"<p>HTML {key}</p>",
            idempotency_key=key,
            **kw,
        )
    return message


def _status(message_id):
    return EmailMessage.objects.get(pk=message_id).status


@pytest.mark.django_db
def test_primary_delivery_records_provider_message_id_and_parts(accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    message = _queue(headers={"X-Campaign": "test"})

    outcome = delivery.deliver(message.pk)

    message.refresh_from_db()
    assert outcome.status == "sent" and message.status == "sent"
    assert message.provider == "primary:smtp" and message.attempts == 1 and message.sent_at
    [received] = accepting_smtp.to("ada@example.com")
    assert received["Message-ID"] == message.provider_message_id
    assert received["X-Campaign"] == "test"
    assert received.get_body(("plain",)).get_content().strip() == "Text k1"
    assert received.get_body(("html",)).get_content().strip() == "<p>HTML k1</p>"


@pytest.mark.django_db
def test_inline_images_sit_in_multipart_related_with_the_html(accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    message = _queue(
        attachments=[
            Attachment("qr.png", b"\x89PNG-inline", "image/png", content_id="qr1@test"),
            Attachment("qr.png", b"\x89PNG-attached", "image/png"),
        ]
    )
    delivery.deliver(message.pk)

    [received] = accepting_smtp.to("ada@example.com")
    assert received.get_content_type() == "multipart/mixed"
    related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
    kinds = [p.get_content_type() for p in related.iter_parts()]
    assert kinds == ["multipart/alternative", "image/png"]
    inline = list(related.iter_parts())[1]
    assert inline["Content-ID"] == "<qr1@test>" and inline.get_content_disposition() == "inline"
    attached = [p for p in received.iter_attachments() if p.get_content_disposition() == "attachment"]
    assert [p.get_content() for p in attached] == [b"\x89PNG-attached"]


@pytest.mark.django_db
def test_one_smtp_connection_is_reused_across_messages(accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    for key in ("a", "b", "c"):
        delivery.deliver(_queue(key).pk)
    assert len(accepting_smtp.messages) == 3
    assert accepting_smtp.sessions == 1


@pytest.mark.django_db
def test_a_connection_closed_by_the_server_is_reopened_without_counting_a_failure(accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    delivery.deliver(_queue("a").pk)
    [conn] = delivery._connections().values()
    conn.connection.sock.close()  # the server dropped our idle connection

    message = _queue("b")
    delivery.deliver(message.pk)

    message.refresh_from_db()
    assert message.status == "sent" and message.provider == "primary:smtp" and message.last_error == ""
    assert len(accepting_smtp.messages) == 2


def test_backoff_is_exponential_with_full_jitter_and_capped(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    first = [delivery.retry_delay(1) for _ in range(200)]
    fourth = [delivery.retry_delay(4) for _ in range(200)]
    late = [delivery.retry_delay(20) for _ in range(200)]
    assert all(0 <= d <= 30 for d in first) and max(first) > 15
    assert all(0 <= d <= 240 for d in fourth) and max(fourth) > 120
    assert all(0 <= d <= 3600 for d in late) and max(late) > 1800
    assert len(set(first)) > 150  # jitter: not one fixed delay


# --- through a real worker on Redis -----------------------------------------------------------


def test_fallback_provider_delivers_when_primary_refuses(
    celery_worker, accepting_smtp, refusing_smtp, use_providers
):
    use_providers(refusing_smtp, fallback=accepting_smtp)
    message = _queue()

    wait_for(lambda: _status(message.pk) == "sent")

    message.refresh_from_db()
    assert message.provider == "fallback:smtp" and message.attempts == 1
    assert "primary:smtp" in message.last_error and "451" in message.last_error
    assert refusing_smtp.refused >= 1
    assert len(accepting_smtp.to("ada@example.com")) == 1


def test_retries_end_dead_then_a_staff_resend_delivers(
    celery_worker, refusing_smtp, accepting_smtp, use_providers, settings, staff_client
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    settings.EMAIL_RETRY_BASE_SECONDS = 0
    use_providers(refusing_smtp)
    message = _queue()

    wait_for(lambda: _status(message.pk) == "dead")
    message.refresh_from_db()
    assert message.attempts == 3 and "451" in message.last_error and message.sent_at is None

    use_providers(accepting_smtp)  # the provider is fixed; staff resend the dead letter
    response = staff_client.post(f"/api/v1/emails/{message.pk}/resend/")
    assert response.status_code == 200 and response.json()["id"] == message.pk

    wait_for(lambda: _status(message.pk) == "sent")
    assert len(accepting_smtp.to("ada@example.com")) == 1


def test_a_message_enqueued_twice_is_delivered_once(celery_worker, accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    message = _queue("twice")  # enqueued once on commit
    send_email.delay(message.pk)  # and once more, as a redelivery or a sweep would
    send_email.delay(message.pk)
    marker = _queue("marker")  # the solo worker takes the email queue in order

    wait_for(lambda: _status(marker.pk) == "sent")

    assert _status(message.pk) == "sent"
    assert len([m for m in accepting_smtp.messages if m["message"]["Subject"] == "Subject twice"]) == 1
    assert EmailMessage.objects.get(pk=message.pk).attempts == 1


def test_sweep_requeues_a_lost_enqueue_and_a_row_abandoned_mid_send(
    celery_worker, accepting_smtp, use_providers, settings
):
    use_providers(accepting_smtp)
    settings.REQUEUE_STALE_AFTER_SECONDS = 300
    long_ago = timezone.now() - timedelta(seconds=600)
    # Rows written while the broker was down (never enqueued) or left `sending` by a dead worker.
    lost = EmailMessage.objects.create(kind="new_movie", to="lost@example.com", subject="lost", body_text="x",
                                       idempotency_key="lost")
    abandoned = EmailMessage.objects.create(kind="new_movie", to="gone@example.com", subject="gone", body_text="x",
                                            idempotency_key="gone", status="sending", attempts=1)
    fresh = EmailMessage.objects.create(kind="new_movie", to="busy@example.com", subject="busy", body_text="x",
                                        idempotency_key="busy", status="sending", attempts=1)
    EmailMessage.objects.filter(pk__in=[lost.pk, abandoned.pk]).update(updated_at=long_ago)

    requeue_stale_emails.delay()

    wait_for(lambda: _status(lost.pk) == "sent" and _status(abandoned.pk) == "sent")
    assert EmailMessage.objects.get(pk=abandoned.pk).attempts == 2
    assert _status(fresh.pk) == "sending"  # still in a live worker's hands: left alone
    assert {m["rcpt_tos"][0] for m in accepting_smtp.messages} == {"lost@example.com", "gone@example.com"}


# --- the claim under real concurrency ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_row_send_it_once(accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    message = EmailMessage.objects.create(kind="new_movie", to="race@example.com", subject="race",
                                          body_text="x", idempotency_key="race")
    outcomes, errors = run_at_once([lambda: delivery.deliver(message.pk)] * 4, cleanup=delivery.close_connections)

    assert errors == []
    assert [o.status for o in outcomes if o is not None] == ["sent"]
    assert len(accepting_smtp.messages) == 1
    assert EmailMessage.objects.get(pk=message.pk).attempts == 1


# --- an ESP through django-anymail (its HTTP API mocked at the boundary) -----------------------


@pytest.mark.django_db
def test_an_anymail_provider_records_the_esp_message_id_and_sends_inline_images(settings, accepting_smtp):
    import json

    import responses

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token"}
    settings.EMAIL_FALLBACK_URL = accepting_smtp.url
    message = _queue(attachments=[Attachment("qr.png", b"\x89PNG", "image/png", content_id="qr1@test")])

    with responses.RequestsMock() as api:
        api.post(
            "https://api.postmarkapp.com/email",
            json={"ErrorCode": 0, "Message": "OK", "MessageID": "pm-0001", "To": "ada@example.com",
                  "SubmittedAt": "2026-11-22T10:00:00Z"},
        )
        assert delivery.deliver(message.pk).status == "sent"
        payload = json.loads(api.calls[0].request.body)

    message.refresh_from_db()
    assert (message.provider, message.provider_message_id) == ("primary:postmark", "pm-0001")
    assert payload["HtmlBody"] == "<p>HTML k1</p>"
    assert payload["Attachments"][0]["ContentID"] == "cid:qr1@test"
    assert accepting_smtp.messages == []  # the fallback was not needed


@pytest.mark.django_db
def test_an_esp_outage_falls_back_to_smtp(settings, accepting_smtp):
    import responses

    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token"}
    settings.EMAIL_FALLBACK_URL = accepting_smtp.url
    message = _queue()

    with responses.RequestsMock() as api:
        api.post("https://api.postmarkapp.com/email", status=503, body="Service Unavailable")
        assert delivery.deliver(message.pk).status == "sent"

    message.refresh_from_db()
    assert message.provider == "fallback:smtp" and "primary:postmark" in message.last_error
    assert len(accepting_smtp.to("ada@example.com")) == 1


@pytest.mark.django_db
def test_a_send_without_attachments_costs_two_statements(accepting_smtp, use_providers, django_assert_num_queries):
    """Claim (UPDATE … RETURNING) and the outcome (UPDATE by pk): no re-read, no attachments query."""
    use_providers(accepting_smtp)
    delivery.deliver(_queue("warm").pk)  # the SMTP connection is opened outside the count
    message = _queue("counted")

    with django_assert_num_queries(2):
        outcome = delivery.deliver(message.pk)

    assert outcome.status == "sent" and _status(message.pk) == "sent"


@pytest.mark.django_db
def test_an_attempt_does_not_record_its_outcome_over_a_newer_attempt(accepting_smtp, use_providers):
    """A slow attempt whose row was reclaimed meanwhile (attempts moved on) leaves the row alone."""
    use_providers(accepting_smtp)
    message = _queue("slow")
    stale_attempt = delivery.claim(message.pk)
    EmailMessage.objects.filter(pk=message.pk).update(attempts=2)  # another worker reclaimed it

    delivery._finish(stale_attempt, status=EmailMessage.Status.SENT, sent_at=timezone.now())

    message.refresh_from_db()
    assert message.status == "sending" and message.attempts == 2 and message.sent_at is None


@pytest.mark.django_db
def test_multipart_boundaries_are_set_and_distinct_per_message(accepting_smtp, use_providers):
    use_providers(accepting_smtp)
    first, second = _queue("b1"), _queue("b2")
    boundaries = []
    for message in (first, second):
        built = delivery.build_email(EmailMessage.objects.get(pk=message.pk)).message()
        assert built.get_boundary()
        boundaries.append(built.get_boundary())
        delivery.deliver(message.pk)
    assert boundaries[0] != boundaries[1]
    received = accepting_smtp.to("ada@example.com")
    assert [m.get_body(("plain",)).get_content().strip() for m in received] == ["Text b1", "Text b2"]
