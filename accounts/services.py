"""Operations that change state: one transaction each, safe to call twice.

The auth provider (Clerk) is the source of truth for who a user is. Its webhook events are
stored first (`store_event`), then applied by a task (`apply_event`) under row locks, so that
duplicates, reordering and concurrent workers change a user once, in the provider's order.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.utils.crypto import get_random_string
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.tasks import enqueue_on_commit, task_named

from .models import ClerkEvent, User
from .signals import email_verification_requested, user_deleted

logger = logging.getLogger(__name__)

USER_UPSERT_EVENTS = ("user.created", "user.updated")
USER_DELETED_EVENT = "user.deleted"
HANDLED_EVENTS = (*USER_UPSERT_EVENTS, USER_DELETED_EVENT)
# A failed event is tried again by the sweeper until it has had this many attempts; after
# that it waits for an operator (admin "replay").
MAX_EVENT_ATTEMPTS = 5
# The sweeper sends at most this many events per run; the next run takes the rest.
SWEEP_BATCH_SIZE = 500


class InvalidEventPayload(ValueError):
    """The (correctly signed) body is not a provider event we can store."""


def _enqueue_sync(event_pk):
    enqueue_on_commit(task_named("accounts.sync_user"), event_pk)


CLERK_ID_MAX_LENGTH = User._meta.get_field("clerk_id").max_length


# Usernames of provider users; a site sign-up cannot take one (see is_reserved_username).
CLERK_USERNAME_PREFIX = "clerk_"


def clerk_username(clerk_id):
    """A username that cannot collide with another provider user (clerk ids are unique)."""
    return f"{CLERK_USERNAME_PREFIX}{clerk_id}"[:150]


def is_reserved_username(username):
    return username.lower().startswith(CLERK_USERNAME_PREFIX)


# --- storing webhook deliveries ------------------------------------------------------------


def store_event(svix_id, payload):
    """Store one verified delivery once by its `svix-id` and enqueue its processing.

    Returns (event, created). A duplicate delivery returns the stored row and enqueues nothing.
    Event types we do not act on are stored as `ignored` (visible to operators), not enqueued.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise InvalidEventPayload("The event has no type.")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise InvalidEventPayload("The event has no data object.")
    event_type = payload["type"]
    clerk_user_id = data.get("id")
    handled = event_type in HANDLED_EVENTS
    if handled and (not isinstance(clerk_user_id, str) or not clerk_user_id):
        raise InvalidEventPayload("A user event needs data.id.")
    if handled and len(clerk_user_id) > CLERK_ID_MAX_LENGTH:
        raise InvalidEventPayload(f"data.id is longer than {CLERK_ID_MAX_LENGTH} characters.")
    if len(svix_id) > ClerkEvent._meta.get_field("svix_id").max_length:
        raise InvalidEventPayload("The svix-id header is too long.")

    defaults = {
        "type": event_type[:64],
        "clerk_user_id": clerk_user_id[:64] if isinstance(clerk_user_id, str) else "",
        "payload": payload,
    }
    if not handled:
        defaults.update(
            status=ClerkEvent.Status.IGNORED,
            processed_at=timezone.now(),
            last_error=f"Event type {event_type!r} is not handled.",
        )
    try:
        with transaction.atomic():
            event, created = ClerkEvent.objects.get_or_create(svix_id=svix_id, defaults=defaults)
            if created and handled:
                _enqueue_sync(event.pk)
    except DataError as exc:  # e.g. a \u0000 that PostgreSQL's jsonb refuses
        raise InvalidEventPayload(f"The event cannot be stored: {exc}") from exc
    return event, created


# --- applying events -----------------------------------------------------------------------


def apply_event(event_pk):
    """Apply one stored event to its user; do nothing when it is already done.

    The event row is locked for the whole transaction, so two workers given the same event
    apply it once. A failure rolls back the user's changes (and the signal's receivers') and
    leaves the event `failed` with its error, for the sweeper or an operator to try again.
    Returns the event's final status, or None when the event does not exist.
    """
    with transaction.atomic():
        event = ClerkEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None:
            return None
        if event.status in (ClerkEvent.Status.PROCESSED, ClerkEvent.Status.IGNORED):
            return event.status
        event.attempts += 1
        try:
            with transaction.atomic():
                applied, reason = _apply(event)
        except Exception as exc:
            logger.exception("clerk event %s (%s) failed", event.svix_id, event.type)
            event.status = ClerkEvent.Status.FAILED
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            event.status = ClerkEvent.Status.PROCESSED if applied else ClerkEvent.Status.IGNORED
            event.last_error = "" if applied else reason
            event.processed_at = timezone.now()
        event.save(update_fields=["status", "attempts", "last_error", "processed_at"])
        return event.status


def _apply(event):
    """(applied, reason): whether the event changed the user, and why not when it did not."""
    data = event.payload.get("data") or {}
    clerk_id = data.get("id") or event.clerk_user_id
    if event.type == USER_DELETED_EVENT:
        return _delete_user(clerk_id, event)
    if event.type in USER_UPSERT_EVENTS:
        return _upsert_user(clerk_id, data, event)
    return False, f"Event type {event.type!r} is not handled."


def _locked_user(clerk_id, **create_defaults):
    """(user, created): the user of `clerk_id`, row-locked; created with `create_defaults`
    when unknown.

    Two workers creating the same user at once: one insert wins, the other hits the unique
    index on clerk_id, rolls back its savepoint and locks the winner's row.
    """
    user = User.objects.select_for_update().filter(clerk_id=clerk_id).first()
    if user is not None:
        return user, False
    username = clerk_username(clerk_id)
    for attempt in range(2):
        try:
            with transaction.atomic():
                user = User.objects.create(
                    clerk_id=clerk_id,
                    username=username,
                    password=make_password(None),  # they sign in through the provider only
                    **create_defaults,
                )
            return user, True
        except IntegrityError:
            user = User.objects.select_for_update().filter(clerk_id=clerk_id).first()
            if user is not None:
                return user, False
            # Not a concurrent insert of this provider user: the username is someone else's
            # (a local account from before sign-ups refused the prefix). Take a unique one.
            username = f"{clerk_username(clerk_id)[:117]}_{get_random_string(32).lower()}"
    raise IntegrityError(f"no free username for provider user {clerk_id}")


def user_for_session(clerk_id, email=None):
    """The user a verified session token names, created on first sight ("just in time").

    Only the id is known then; the provider's `user.created` event fills in the same row
    later. A deleted user's tombstone is returned as it is (the caller refuses it)."""
    user = User.objects.filter(clerk_id=clerk_id).first()
    if user is not None:
        return user
    with transaction.atomic():
        user, _ = _locked_user(clerk_id, email=(email if isinstance(email, str) else "")[:254])
    return user


def _primary_entry(data):
    primary_id = data.get("primary_email_address_id")
    for entry in data.get("email_addresses") or []:
        if isinstance(entry, dict) and primary_id and entry.get("id") == primary_id:
            return entry
    return {}


def primary_email(data):
    """The address of `data.email_addresses` whose id is `data.primary_email_address_id`."""
    address = _primary_entry(data).get("email_address")
    return address[:254] if isinstance(address, str) else ""


def primary_email_is_verified(data):
    """The provider verified the primary address (`verification.status == "verified"`)."""
    verification = _primary_entry(data).get("verification")
    return isinstance(verification, dict) and verification.get("status") == "verified"


def _provider_timestamp(data):
    value = data.get("updated_at")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _mark_synced(user, event):
    user.last_clerk_event = event.svix_id[:64]
    user.last_synced_at = timezone.now()


def _upsert_user(clerk_id, data, event):
    updated_at = _provider_timestamp(data)
    if updated_at is None:
        return False, "The event has no numeric data.updated_at; it cannot be ordered."
    user, _ = _locked_user(clerk_id)
    if user.deleted_at is not None:
        return False, "The user was deleted; a deletion is final."
    if user.clerk_updated_at is not None and updated_at <= user.clerk_updated_at:
        return False, f"Stale: updated_at {updated_at} is not newer than the stored {user.clerk_updated_at}."
    user.email = primary_email(data)
    user.email_verified_at = (user.email_verified_at or timezone.now()) if (
        user.email and primary_email_is_verified(data)
    ) else None
    user.first_name = (data.get("first_name") or "")[:150]
    user.last_name = (data.get("last_name") or "")[:150]
    user.clerk_updated_at = updated_at
    _mark_synced(user, event)
    user.save(
        update_fields=[
            "email", "email_verified_at", "first_name", "last_name", "clerk_updated_at", "last_clerk_event",
            "last_synced_at",
        ]
    )
    return True, ""


def _delete_user(clerk_id, event):
    """Deactivate and anonymise; bookings stay (the FK protects them), holds are released by
    the receivers of `user_deleted`, inside this transaction. A deletion for a user never seen
    leaves a tombstone row, so that a late `user.created` cannot bring them into existence."""
    now = timezone.now()
    user, created = _locked_user(clerk_id, is_active=False, deleted_at=now)
    if user.deleted_at is not None and not created:
        return False, "The user is already deleted."
    user.deleted_at = user.deleted_at or now
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.username = clerk_username(clerk_id)
    user.email = ""
    user.email_verified_at = None
    user.first_name = ""
    user.last_name = ""
    user.marketing_opt_in = False
    user.set_unusable_password()
    _mark_synced(user, event)
    user.save()
    user_deleted.send(sender=User, user=user)
    return True, ""


# --- sweeping and replaying ------------------------------------------------------------------


def stale_event_ids(now=None):
    """Events a lost enqueue (broker down, worker crash) left behind: pending for longer than
    REQUEUE_STALE_AFTER_SECONDS, or failed with attempts to spare. Oldest first, one batch."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    return list(
        ClerkEvent.objects.filter(
            Q(status=ClerkEvent.Status.PENDING, received_at__lt=cutoff)
            | Q(status=ClerkEvent.Status.FAILED, attempts__lt=MAX_EVENT_ATTEMPTS)
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )


def replay_events(event_pks):
    """Operator's replay: put events back to pending and enqueue them. An event that no longer
    changes anything (stale, user deleted) ends `ignored` with the reason."""
    with transaction.atomic():
        events = list(
            ClerkEvent.objects.select_for_update()
            .filter(pk__in=list(event_pks), type__in=HANDLED_EVENTS)
            .order_by("received_at")
        )
        for event in events:
            event.status = ClerkEvent.Status.PENDING
            event.last_error = ""
            event.processed_at = None
            event.save(update_fields=["status", "last_error", "processed_at"])
            _enqueue_sync(event.pk)
    return len(events)


# --- the user's own settings -----------------------------------------------------------------


def update_preferences(user, **changes):
    """The only user fields a user changes here (the provider owns email and names)."""
    allowed = {"marketing_opt_in", "language"}
    fields = [name for name in changes if name in allowed]
    if not fields:
        return user
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for name in fields:
            setattr(locked, name, changes[name])
        locked.save(update_fields=fields)
    for name in fields:
        setattr(user, name, changes[name])
    return user


# --- site sign-up and address verification ---------------------------------------------------------

EMAIL_VERIFICATION_SALT = "accounts.email_verification"
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=7)


def sign_up(*, username, email, password, first_name="", language=None):
    """A site sign-up: the new user, or None when the address is already registered.

    The caller answers the same either way, and either way one `email_verification` email goes
    to the address (receivers of `email_verification_requested`): a link to verify a new
    account, or a note to the owner of the existing one. Nothing tells the visitor which."""
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email, deleted_at__isnull=True).order_by("pk").first()
        if existing is not None:
            email_verification_requested.send(sender=User, user=existing, already_registered=True)
            return None
        user = User(username=username, email=email, first_name=first_name)
        if language:
            user.language = language
        user.set_password(password)
        user.save()
        email_verification_requested.send(sender=User, user=user, already_registered=False)
    return user


def email_verification_token(user):
    """A signed token naming the user and the address it proves (a changed address voids it)."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=EMAIL_VERIFICATION_SALT, compress=True)


def verify_email(token):
    """Mark the address of a valid token verified; the user, or None for a bad, expired or stale token."""
    try:
        claims = signing.loads(token, salt=EMAIL_VERIFICATION_SALT, max_age=EMAIL_VERIFICATION_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("u"), int):
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=claims["u"], deleted_at__isnull=True).first()
        if user is None or not user.email or user.email.lower() != claims.get("e"):
            return None
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return user
