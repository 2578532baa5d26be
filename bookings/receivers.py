"""Reactions to other apps' signals."""

from django.dispatch import receiver

from accounts.signals import user_deleted
from bookings.holds import expiry
from bookings.waitlist import services as waitlist


@receiver(user_deleted)
def release_holds_of_deleted_user(sender, user, **kwargs):
    expiry.release_pending_holds_of_user(user)  # their offers too: those seats go to the next entries
    waitlist.leave_all(user)
