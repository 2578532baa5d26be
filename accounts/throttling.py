"""Per-client-address throttles of the sign-up and sign-in forms (DRF's rate syntax and client
address, counted in the default cache).

The rates are read from settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] at each use: `signup`
(every sign-up attempt) and `signin_failure` (failed password sign-ins, the site's and the admin's)."""

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from rest_framework.throttling import SimpleRateThrottle

SIGNUP = "signup"
SIGNIN_FAILURE = "signin_failure"


class ClientAddressThrottle(SimpleRateThrottle):
    """Counts events of one scope per client address; `blocked` peeks, `record` counts one."""

    def __init__(self, scope):
        self.scope = scope
        super().__init__()

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _recent(self, request):
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        return [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def blocked(self, request):
        self.history = self._recent(request)
        return len(self.history) >= self.num_requests

    def record(self, request):
        self.history = self._recent(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def retry_after(self):
        """Seconds until the oldest counted event leaves the window (after `blocked`)."""
        return max(1, int(self.duration - (self.now - self.history[-1]))) if self.history else 1


@receiver(user_login_failed, dispatch_uid="accounts.count_failed_signin")
def count_failed_signin(sender, credentials, request=None, **kwargs):
    """Every failed password sign-in (site or admin) counts against the client's address."""
    if request is not None:
        ClientAddressThrottle(SIGNIN_FAILURE).record(request)
