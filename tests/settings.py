"""Test settings: the real settings module with test defaults in the environment."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ.setdefault("PAYMENT_GATEWAY", "local")
os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_test_secret")
os.environ.setdefault("SITE_URL", "http://testserver")

from config.settings import *  # noqa: E402,F401,F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file per test run, not shared-cache memory: there a Celery worker thread and the test
    # fail at once with "database table is locked" instead of waiting for each other.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"cinema-test-{os.getpid()}.sqlite3")
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Throttles are tested explicitly; elsewhere they would only make tests order-dependent.
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"holds": "10000/min", "signup": "10000/min", "signin_failure": "10000/min"},
}
# One connection per test thread, closed as Django closes it after a request: a worker thread
# must not keep the test database open when pytest-django drops it.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Posters and report files of a test run go to a folder of their own, never to var/media.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="cinema-test-media-")
