"""The suppression list: addresses that unsubscribed from any of our emails, compared without case.

Campaigns and announcements skip them. Imports no other app of ours."""

from .models import SuppressedAddress


def address_key(email):
    return (email or "").strip().lower()


def suppress(email):
    """Put an address on the list (once)."""
    key = address_key(email)
    if key:
        SuppressedAddress.objects.get_or_create(email=key)


def suppressed_among(emails):
    """The keys of `emails` that are on the list (one query)."""
    keys = {address_key(e) for e in emails}
    return set(SuppressedAddress.objects.filter(email__in=keys).values_list("email", flat=True))
