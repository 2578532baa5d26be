"""Signals other apps listen to, so that accounts imports none of them."""

from django.dispatch import Signal

# Sent (with `user`) inside the transaction that deletes a user at the provider's word.
user_deleted = Signal()

# Sent (with `user` and `already_registered`) inside the transaction of a site sign-up: a new
# account needs its address verified; a sign-up with an address already registered gets an email
# of the same kind instead of an answer that would reveal the address is known.
email_verification_requested = Signal()
