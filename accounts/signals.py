"""Signals other apps listen to, so that accounts imports none of them."""

from django.dispatch import Signal

# Sent (with `user`) inside the transaction that deletes a user at the provider's word.
user_deleted = Signal()
