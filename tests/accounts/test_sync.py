"""`accounts.sync_user`: applying stored Clerk events, duplicated, reordered, final deletions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import ClerkEvent, User
from accounts.signals import user_deleted
from accounts.tasks import sync_user

from tests.support.clerk import T0, user_event

pytestmark = pytest.mark.django_db

LATER = T0 + 60_000
EVEN_LATER = T0 + 120_000


def provider_user(clerk_id="user_1"):
    return User.objects.get(clerk_id=clerk_id)


def test_created_makes_a_user_with_the_primary_email_and_names(deliver):
    event = deliver(user_event("user.created", "user_1", email="ada@example.com"), msg_id="msg_1")

    user = provider_user()
    assert event.status == ClerkEvent.Status.PROCESSED
    assert event.attempts == 1 and event.processed_at is not None
    assert user.email == "ada@example.com"  # the entry whose id is primary_email_address_id, not the first
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")
    assert user.username == "clerk_user_1"
    assert user.clerk_updated_at == T0
    assert user.last_clerk_event == "msg_1"
    assert user.last_synced_at is not None
    assert user.is_active and user.deleted_at is None
    assert not user.has_usable_password()


def test_new_users_start_opted_out_and_in_the_site_language(settings, deliver):
    settings.LANGUAGE_CODE = "vi"
    deliver(user_event("user.created", "user_1"))
    user = provider_user()
    assert user.marketing_opt_in is False
    assert user.language == "vi"


def test_usernames_stay_unique_across_provider_users(deliver):
    deliver(user_event("user.created", "user_1", first_name="Same", last_name="Name"))
    deliver(user_event("user.created", "user_2", first_name="Same", last_name="Name"))
    assert User.objects.filter(first_name="Same").values_list("username", flat=True).distinct().count() == 2


def test_updated_changes_email_and_names_and_keeps_preferences(deliver):
    deliver(user_event("user.created", "user_1"))
    User.objects.filter(clerk_id="user_1").update(marketing_opt_in=True, language="vi")

    event = deliver(
        user_event("user.updated", "user_1", updated_at=LATER, email="new@example.com", first_name="Augusta")
    )

    user = provider_user()
    assert event.status == ClerkEvent.Status.PROCESSED
    assert (user.email, user.first_name, user.clerk_updated_at) == ("new@example.com", "Augusta", LATER)
    assert (user.marketing_opt_in, user.language) == (True, "vi")


def test_an_update_before_its_create_creates_the_user_and_the_late_create_changes_nothing(deliver):
    update = deliver(user_event("user.updated", "user_1", updated_at=LATER, email="current@example.com"))
    create = deliver(user_event("user.created", "user_1", updated_at=T0, email="first@example.com"))

    user = provider_user()
    assert update.status == ClerkEvent.Status.PROCESSED
    assert create.status == ClerkEvent.Status.IGNORED
    assert "Stale" in create.last_error
    assert user.email == "current@example.com"
    assert user.clerk_updated_at == LATER
    assert user.last_clerk_event == update.svix_id
    assert User.objects.filter(clerk_id="user_1").count() == 1


def test_a_stale_update_after_a_newer_one_changes_nothing(deliver):
    deliver(user_event("user.created", "user_1", updated_at=T0))
    newer = deliver(user_event("user.updated", "user_1", updated_at=EVEN_LATER, email="newest@example.com"))
    synced_at = provider_user().last_synced_at

    stale = deliver(user_event("user.updated", "user_1", updated_at=LATER, email="older@example.com"))

    user = provider_user()
    assert stale.status == ClerkEvent.Status.IGNORED
    assert user.email == "newest@example.com"
    assert user.clerk_updated_at == EVEN_LATER
    assert user.last_clerk_event == newer.svix_id
    assert user.last_synced_at == synced_at


def test_the_same_change_delivered_twice_under_two_ids_changes_state_once(deliver):
    first = deliver(user_event("user.updated", "user_1", updated_at=LATER), msg_id="msg_one")
    second = deliver(user_event("user.updated", "user_1", updated_at=LATER), msg_id="msg_two")
    assert (first.status, second.status) == (ClerkEvent.Status.PROCESSED, ClerkEvent.Status.IGNORED)
    assert provider_user().last_clerk_event == "msg_one"


def test_running_the_task_twice_on_one_event_applies_it_once(deliver):
    event = deliver(user_event("user.created", "user_1"))
    User.objects.filter(clerk_id="user_1").update(first_name="Edited meanwhile")

    assert sync_user(event.pk) == ClerkEvent.Status.PROCESSED
    event.refresh_from_db()
    assert event.attempts == 1
    assert provider_user().first_name == "Edited meanwhile"


def test_the_task_for_a_missing_event_does_nothing(db):
    assert sync_user(999_999) is None


def test_an_event_without_updated_at_is_ignored_with_its_reason(deliver):
    payload = user_event("user.updated", "user_1")
    del payload["data"]["updated_at"]
    event = deliver(payload)
    assert event.status == ClerkEvent.Status.IGNORED
    assert "updated_at" in event.last_error
    assert not User.objects.filter(clerk_id="user_1").exists()


def test_a_user_without_a_primary_email_gets_an_empty_email(deliver):
    payload = user_event("user.created", "user_1")
    payload["data"]["primary_email_address_id"] = None
    deliver(payload)
    assert provider_user().email == ""


# --- deletion ------------------------------------------------------------------------------


@pytest.fixture
def signal_calls():
    calls = []

    def receiver(sender, user, **kwargs):
        calls.append((sender, user.pk, user.deleted_at is not None))

    user_deleted.connect(receiver, weak=False, dispatch_uid="test_signal_calls")
    yield calls
    user_deleted.disconnect(dispatch_uid="test_signal_calls")


def test_deleted_deactivates_and_anonymises_and_announces_it(deliver, signal_calls):
    deliver(user_event("user.created", "user_1", email="ada@example.com"))
    User.objects.filter(clerk_id="user_1").update(marketing_opt_in=True)
    user_pk = provider_user().pk

    event = deliver(user_event("user.deleted", "user_1"))

    user = provider_user()
    assert event.status == ClerkEvent.Status.PROCESSED
    assert user.pk == user_pk  # the row stays, for the bookings that point at it
    assert user.deleted_at is not None and user.is_active is False
    assert (user.email, user.first_name, user.last_name) == ("", "", "")
    assert user.marketing_opt_in is False
    assert user.last_clerk_event == event.svix_id
    assert signal_calls == [(User, user_pk, True)]


def test_a_deletion_is_final_for_later_updates_and_creates(deliver, signal_calls):
    deliver(user_event("user.created", "user_1"))
    deliver(user_event("user.deleted", "user_1"))
    deleted_at = provider_user().deleted_at

    later_update = deliver(user_event("user.updated", "user_1", updated_at=EVEN_LATER, email="back@example.com"))
    later_create = deliver(user_event("user.created", "user_1", updated_at=EVEN_LATER + 1))
    deleted_again = deliver(user_event("user.deleted", "user_1"))

    user = provider_user()
    assert {later_update.status, later_create.status, deleted_again.status} == {ClerkEvent.Status.IGNORED}
    assert "deleted" in later_update.last_error
    assert (user.email, user.is_active, user.deleted_at) == ("", False, deleted_at)
    assert len(signal_calls) == 1


def test_a_deletion_before_the_create_leaves_a_tombstone_that_the_create_cannot_revive(deliver):
    deleted = deliver(user_event("user.deleted", "user_1"))
    created = deliver(user_event("user.created", "user_1", email="ada@example.com"))

    user = provider_user()
    assert deleted.status == ClerkEvent.Status.PROCESSED
    assert created.status == ClerkEvent.Status.IGNORED
    assert user.deleted_at is not None and user.is_active is False
    assert user.email == ""


def test_a_deleted_staff_member_loses_the_admin(deliver, staff_user):
    User.objects.filter(pk=staff_user.pk).update(clerk_id="user_staff", is_superuser=True)
    deliver(user_event("user.deleted", "user_staff"))
    staff_user.refresh_from_db()
    assert (staff_user.is_staff, staff_user.is_superuser, staff_user.is_active) == (False, False, False)
    assert not staff_user.has_usable_password()


def test_a_failing_receiver_rolls_the_deletion_back_and_marks_the_event_failed(deliver):
    deliver(user_event("user.created", "user_1", email="ada@example.com"))

    def broken(sender, user, **kwargs):
        raise RuntimeError("holds could not be released")

    user_deleted.connect(broken, weak=False, dispatch_uid="test_broken")
    try:
        event = deliver(user_event("user.deleted", "user_1"))
    finally:
        user_deleted.disconnect(dispatch_uid="test_broken")

    user = provider_user()
    assert event.status == ClerkEvent.Status.FAILED
    assert "holds could not be released" in event.last_error
    assert (user.deleted_at, user.is_active, user.email) == (None, True, "ada@example.com")
    assert event.pk in services.stale_event_ids()  # tried again by the sweeper


# --- the sweeper's choice, and the operator's replay ----------------------------------------


def test_stale_event_ids_picks_old_pending_and_retryable_failed_events(settings, post_event):
    settings.REQUEUE_STALE_AFTER_SECONDS = 300
    post_event(user_event("user.created", "user_old"), msg_id="msg_old")
    post_event(user_event("user.created", "user_new"), msg_id="msg_new")
    post_event(user_event("user.created", "user_failed"), msg_id="msg_failed")
    post_event(user_event("user.created", "user_exhausted"), msg_id="msg_exhausted")
    post_event(user_event("user.created", "user_done"), msg_id="msg_done")
    ago = timezone.now() - timedelta(seconds=301)
    ClerkEvent.objects.filter(svix_id__in=["msg_old", "msg_done"]).update(received_at=ago)
    ClerkEvent.objects.filter(svix_id="msg_done").update(status=ClerkEvent.Status.PROCESSED)
    ClerkEvent.objects.filter(svix_id="msg_failed").update(status=ClerkEvent.Status.FAILED, attempts=1)
    ClerkEvent.objects.filter(svix_id="msg_exhausted").update(
        status=ClerkEvent.Status.FAILED, attempts=services.MAX_EVENT_ATTEMPTS
    )

    picked = set(ClerkEvent.objects.filter(pk__in=services.stale_event_ids()).values_list("svix_id", flat=True))

    assert picked == {"msg_old", "msg_failed"}


def test_replay_puts_events_back_to_pending_and_enqueues_them(deliver, django_capture_on_commit_callbacks):
    event = deliver(user_event("user.created", "user_1"))
    ClerkEvent.objects.filter(pk=event.pk).update(status=ClerkEvent.Status.FAILED, last_error="boom")

    with django_capture_on_commit_callbacks() as callbacks:
        assert services.replay_events([event.pk]) == 1

    event.refresh_from_db()
    assert (event.status, event.last_error, event.processed_at) == (ClerkEvent.Status.PENDING, "", None)
    assert len(callbacks) == 1
