"""The outbox's delivery actions (resend, send now) need the change permission: a view-only staff
user sees the messages but cannot send anything."""

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import EmailMessage
from tests.factories import staff_with_permissions

pytestmark = pytest.mark.django_db

ACTIONS = [
    ("admin:notifications_emailmessage_changelist", "resend_messages", EmailMessage.Status.DEAD),
    ("admin:notifications_emailmessage_changelist", "send_messages_now", EmailMessage.Status.FAILED),
    ("admin:notifications_deadletter_changelist", "resend_messages", EmailMessage.Status.DEAD),
]


def message(status):
    return EmailMessage.objects.create(
        kind=EmailMessage.Kind.BOOKING_CONFIRMATION, to="a@example.com", subject="s", body_text="t",
        idempotency_key=f"perm:{status}", status=status, attempts=6,
        next_attempt_at="2030-01-01T00:00:00Z",
    )


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url_name, action, status", ACTIONS)
def test_a_view_only_staff_user_cannot_run_delivery_actions(url_name, action, status, django_capture_on_commit_callbacks):
    row = message(status)
    model = url_name.split("_")[1]
    client = client_of(staff_with_permissions(f"notifications.view_{model}"))
    url = reverse(url_name)

    page = client.get(url)
    assert page.status_code == 200 and "a@example.com" in page.content.decode()  # they can look
    assert f'value="{action}"' not in page.content.decode()  # the action is not offered
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url, {"action": action, "_selected_action": [row.pk]})

    row.refresh_from_db()
    assert (row.status, row.attempts, str(row.next_attempt_at.year)) == (status, 6, "2030")
    assert callbacks == []  # nothing enqueued


@pytest.mark.parametrize("url_name, action, status", ACTIONS)
def test_staff_with_the_change_permission_can_run_them(url_name, action, status, django_capture_on_commit_callbacks):
    row = message(status)
    model = url_name.split("_")[1]
    client = client_of(staff_with_permissions(f"notifications.view_{model}", f"notifications.change_{model}"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse(url_name), {"action": action, "_selected_action": [row.pk]}, follow=True)

    assert "1 message(s)" in response.content.decode()
    row.refresh_from_db()
    assert row.next_attempt_at is None
    assert len(callbacks) == 1
