from django.conf import settings
from django.utils import translation
from rest_framework.exceptions import AuthenticationFailed

from .authentication import user_for_claims, verify_session_token


class UserLanguageMiddleware:
    """A signed-in user's pages are in their own language (after LocaleMiddleware's guess)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "language", None):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


CLERK_SESSION_COOKIE = "__session"


class ClerkSessionCookieMiddleware:
    """The browser site accepts the provider's session JWT too.

    Clerk's front-end keeps the session JWT in the `__session` cookie of the site's domain. When
    no Django session is signed in, that token is verified exactly like a bearer token (signature,
    exp, nbf, azp) and its user is the request's user for this request. A bad, expired or deleted
    user's token leaves the visitor anonymous: pages then ask them to sign in, never a 500. Unsafe
    requests still need Django's CSRF token, as with any cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request.COOKIES.get(CLERK_SESSION_COOKIE)
        if token and settings.CLERK_JWT_KEY and not request.user.is_authenticated:
            try:
                request.user = user_for_claims(verify_session_token(token))
            except AuthenticationFailed:
                pass
        return self.get_response(request)
