"""Unsubscribe pages. GET shows a confirm button and changes nothing (mail scanners follow
links); POST opts the user out of marketing email. The signed token is the proof, so the POST
needs no CSRF token (RFC 8058 one-click from the mail client)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.services import update_preferences

from .suppression import suppress
from .unsubscribe import read_address_token, read_token


def _recipient_of(token):
    """(address, users with that address) of a user's or an address's token; None when forged."""
    users = get_user_model().objects
    try:
        user = users.filter(pk=read_token(token)).first()
        return (user.email, [user]) if user else None
    except signing.BadSignature:
        pass
    try:
        email = read_address_token(token)
    except signing.BadSignature:
        return None
    return email, list(users.filter(email__iexact=email))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    recipient = _recipient_of(token)
    if recipient is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    email, users = recipient
    language = users[0].language if users else settings.LANGUAGE_CODE
    with translation.override(language):  # the page speaks the language of the emails
        if request.method == "POST":
            # Unsubscribing from any email of ours puts the address on the suppression list
            # (campaigns, announcements) and opts its users out of marketing email.
            suppress(email)
            for user in users:
                update_preferences(user, marketing_opt_in=False)
            return render(request, "notifications/unsubscribed.html", {"email": email})
        return render(request, "notifications/unsubscribe_confirm.html", {"email": email, "token": token})
