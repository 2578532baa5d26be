"""Password sign-in refused while the client's address has too many recent failures."""

from django.contrib.auth.backends import ModelBackend

from .throttling import SIGNIN_FAILURE, ClientAddressThrottle


class SignInThrottledBackend(ModelBackend):
    """ModelBackend, except that an address over its failed sign-in rate is not even checked
    (the site shows a page saying so; the admin's form just refuses)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and ClientAddressThrottle(SIGNIN_FAILURE).blocked(request):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
