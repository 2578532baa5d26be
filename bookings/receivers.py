"""Reactions to other apps' signals."""

from django.dispatch import receiver

from accounts.signals import user_deleted
from bookings.holds import expiry


@receiver(user_deleted)
def release_holds_of_deleted_user(sender, user, **kwargs):
    expiry.release_pending_holds_of_user(user)
