"""The `email_verification` email of a site sign-up (composed here: accounts imports no other app)."""

import uuid

from django.urls import reverse

from accounts.services import email_verification_token

from .models import EmailMessage
from .outbox import queue_email
from .rendering import email_language, render_email, site_link


def queue_email_verification(user, already_registered):
    """One email to the address either way: a verification link for a new account, or, when the
    address was already registered, a note to its owner with the sign-in link (same kind, same
    subject: the sign-up page itself says nothing about which)."""
    language = email_language(user.language)
    context = {
        "name": user.first_name or user.username,
        "already_registered": already_registered,
        "verify_url": "" if already_registered else site_link(
            reverse("site:verify_email", args=[email_verification_token(user)])
        ),
        "signin_url": site_link(reverse("site:login")),
    }
    rendered = render_email("email_verification", context, language)
    return queue_email(
        EmailMessage.Kind.EMAIL_VERIFICATION,
        user.email,
        rendered.subject,
        rendered.text,
        rendered.html,
        idempotency_key=f"email_verification:{user.pk}:{uuid.uuid4().hex}",  # each sign-up asks anew
        user=user,
        language=language,
    )
