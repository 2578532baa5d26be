"""The Django admin: users with their provider sync state; stored events with a replay action."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ClerkEvent, User

from tests.support.clerk import user_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-12345678")
    client = Client()
    client.force_login(admin)
    return client


def test_users_list_shows_provider_id_and_sync_state_and_filters_deleted(admin_client, deliver):
    deliver(user_event("user.created", "user_alive", email="alive@example.com"))
    deliver(user_event("user.created", "user_gone", email="gone@example.com"))
    gone_event = deliver(user_event("user.deleted", "user_gone"))
    url = reverse("admin:accounts_user_changelist")

    page = admin_client.get(url).content.decode()
    assert "user_alive" in page and gone_event.svix_id in page

    deleted_only = admin_client.get(url, {"deleted": "yes"}).content.decode()
    assert "clerk_user_gone" in deleted_only and "alive@example.com" not in deleted_only

    found = admin_client.get(url, {"q": "user_alive"}).content.decode()
    assert "alive@example.com" in found and "clerk_user_gone" not in found

    user = User.objects.get(clerk_id="user_alive")
    change = admin_client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    assert change.status_code == 200
    assert "Auth provider (Clerk)" in change.content.decode()


def test_events_list_shows_state_and_errors_and_filters_by_status(admin_client, post_event):
    post_event({"type": "session.created", "data": {"id": "sess_1"}}, msg_id="msg_ignored")
    post_event(user_event("user.created", "user_1"), msg_id="msg_pending")
    url = reverse("admin:accounts_clerkevent_changelist")

    page = admin_client.get(url).content.decode()
    assert "msg_ignored" in page and "msg_pending" in page and "is not handled" in page

    pending = admin_client.get(url, {"status__exact": "pending"}).content.decode()
    assert "msg_pending" in pending and "msg_ignored" not in pending

    event = ClerkEvent.objects.get(svix_id="msg_pending")
    assert admin_client.get(reverse("admin:accounts_clerkevent_change", args=[event.pk])).status_code == 200


def test_the_replay_action_applies_a_failed_event_again(admin_client, deliver, django_capture_on_commit_callbacks):
    event = deliver(user_event("user.created", "user_1", email="ada@example.com"))
    ClerkEvent.objects.filter(pk=event.pk).update(status=ClerkEvent.Status.FAILED, last_error="boom")
    User.objects.filter(clerk_id="user_1").delete()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("admin:accounts_clerkevent_changelist"),
            {"action": "replay", "_selected_action": [event.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 event(s) queued again." in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.last_error) == (ClerkEvent.Status.PENDING, "")
    assert len(callbacks) == 1
    # What the enqueued task does when the worker picks it up:
    from accounts.tasks import sync_user

    sync_user(event.pk)
    assert User.objects.get(clerk_id="user_1").email == "ada@example.com"


def test_a_view_only_staff_user_cannot_replay_events(deliver, django_capture_on_commit_callbacks):
    from tests.factories import staff_with_permissions

    event = deliver(user_event("user.created", "user_1", email="ada@example.com"))
    ClerkEvent.objects.filter(pk=event.pk).update(status=ClerkEvent.Status.FAILED, last_error="boom")
    client = Client()
    client.force_login(staff_with_permissions("accounts.view_clerkevent"))
    url = reverse("admin:accounts_clerkevent_changelist")

    page = client.get(url)
    assert page.status_code == 200 and event.svix_id in page.content.decode()
    assert 'value="replay"' not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url, {"action": "replay", "_selected_action": [event.pk]})

    event.refresh_from_db()
    assert (event.status, event.last_error) == (ClerkEvent.Status.FAILED, "boom")
    assert callbacks == []
