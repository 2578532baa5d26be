"""Reactions to other apps' changes."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.signals import email_verification_requested
from cinema.models import Showtime


@receiver(post_save, sender=Showtime, dispatch_uid="notifications.announce_first_showtime")
def announce_first_showtime(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from .announcements import on_showtime_created

        on_showtime_created(instance)


@receiver(email_verification_requested, dispatch_uid="notifications.email_verification")
def send_email_verification(sender, user, already_registered, **kwargs):
    from .account_emails import queue_email_verification

    queue_email_verification(user, already_registered)
