"""Unsubscribe pages. GET shows a confirm button and changes nothing (mail scanners follow
links); POST opts the user out of marketing email. The signed token is the proof, so the POST
needs no CSRF token (RFC 8058 one-click from the mail client)."""

from django.contrib.auth import get_user_model
from django.core import signing
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.services import update_preferences

from .unsubscribe import read_token


def _user_for(token):
    try:
        user_id = read_token(token)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=user_id).first()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    user = _user_for(token)
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    with translation.override(user.language):  # the page speaks the language of the emails
        if request.method == "POST":
            update_preferences(user, marketing_opt_in=False)
            return render(request, "notifications/unsubscribed.html", {"email": user.email})
        return render(request, "notifications/unsubscribe_confirm.html", {"email": user.email, "token": token})
