"""Concurrent processing on PostgreSQL, with real connections (one per thread): state changes once."""

import pytest

from accounts import services
from accounts.models import ClerkEvent, User

from tests.support.clerk import T0, user_event
from tests.support.race import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def store(svix_id, payload):
    event, _ = services.store_event(svix_id, payload)
    return event.pk


def test_one_event_applied_by_several_workers_at_once_is_applied_once():
    pk = store("msg_same", user_event("user.created", "user_1"))

    assert not run_at_once([lambda: services.apply_event(pk)] * 6).errors

    event = ClerkEvent.objects.get(pk=pk)
    assert (event.status, event.attempts) == (ClerkEvent.Status.PROCESSED, 1)
    assert User.objects.filter(clerk_id="user_1").count() == 1


def test_events_of_a_new_user_applied_at_once_make_one_user_in_the_newest_state():
    pks = [
        store(f"msg_{n}", user_event("user.updated", "user_1", updated_at=T0 + n, email=f"v{n}@example.com"))
        for n in range(6)
    ]

    assert not run_at_once([lambda pk=pk: services.apply_event(pk) for pk in pks]).errors

    user = User.objects.get(clerk_id="user_1")
    assert (user.email, user.clerk_updated_at) == ("v5@example.com", T0 + 5)
    statuses = list(ClerkEvent.objects.values_list("status", flat=True))
    assert ClerkEvent.Status.FAILED not in statuses
    assert statuses.count(ClerkEvent.Status.PROCESSED) >= 1


def test_a_deletion_racing_updates_and_a_first_jwt_always_ends_deleted():
    deletion = store("msg_del", user_event("user.deleted", "user_1"))
    updates = [store(f"msg_up{n}", user_event("user.updated", "user_1", updated_at=T0 + n)) for n in range(3)]

    assert not run_at_once(
        [lambda: services.apply_event(deletion), lambda: services.user_for_session("user_1")]
        + [lambda pk=pk: services.apply_event(pk) for pk in updates]
    ).errors

    user = User.objects.get(clerk_id="user_1")
    assert user.deleted_at is not None and user.is_active is False
    assert (user.email, user.first_name) == ("", "")
    assert ClerkEvent.objects.get(pk=deletion).status == ClerkEvent.Status.PROCESSED
    assert not ClerkEvent.objects.filter(status=ClerkEvent.Status.FAILED).exists()


def test_the_same_delivery_stored_by_several_requests_at_once_is_stored_once():
    results = []

    def deliver():
        results.append(services.store_event("msg_dup", user_event("user.created", "user_1"))[1])

    assert not run_at_once([deliver] * 6).errors

    assert ClerkEvent.objects.filter(svix_id="msg_dup").count() == 1
    assert sorted(results) == [False] * 5 + [True]
