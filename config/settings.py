"""Settings, read from the environment (see the contract's settings table and `.env.example`)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
# .env.example's value: anyone can read it, so a production signed with it signs nothing.
ENV_EXAMPLE_SECRET_KEY = "change-me-to-a-long-random-string"
MIN_SECRET_KEY_LENGTH = 40
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
elif not DEBUG and (SECRET_KEY == ENV_EXAMPLE_SECRET_KEY or len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH):
    raise ImproperlyConfigured(
        f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters, not .env.example's placeholder, "
        'when DEBUG is false: python -c "import secrets; print(secrets.token_urlsafe(50))"'
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
CINEMA_NAME = env.str("CINEMA_NAME", default="Cinema Paradiso")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "anymail",
    "csp",
    "core",
    "accounts",
    "cinema",
    "bookings",
    "notifications",
    "web",
    "ops",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below)
    "ops.middleware.DatabaseUnavailableMiddleware",  # a DB outage answers 503, not 500
    "ops.middleware.RequestTooLargeMiddleware",  # an oversized body answers 413 {"detail","code"}
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.ClerkSessionCookieMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast instead of hanging when PostgreSQL is away (readyz, restarts under load).
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 2)
    # Persistent connections (web threads and worker processes alike), health-checked on reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite for a laptop: wait for the write lock rather than failing at once.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "site:login"
LOGIN_REDIRECT_URL = "site:home"
LOGOUT_REDIRECT_URL = "site:home"
# Password sign-in (site and admin) refused while the client's address has too many failures.
AUTHENTICATION_BACKENDS = ["accounts.backends.SignInThrottledBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
if LANGUAGE_CODE not in ("en", "vi"):
    raise ImproperlyConfigured("LANGUAGE_CODE must be 'en' or 'vi'.")
LANGUAGES = [("en", _("English")), ("vi", _("Vietnamese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
# Processed posters and report files (Django's storage API: MEDIA_STORAGE_BACKEND may name a cloud backend).
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = BASE_DIR / env.str("MEDIA_ROOT", default="var/media")  # an absolute path stays absolute
STORAGES = {
    "default": {"BACKEND": env.str("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Request size limits: no booking or webhook body is anywhere near this.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- Production protections (on whenever DEBUG is false) ---
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on the site, the admin and the API docs: scripts only from
# our own origin (no inline script anywhere), so injected markup cannot run. Inline styles stay
# allowed: the seat map and posters pass values through style attributes, and the admin, the
# local Pay page and Swagger UI use <style> blocks. Images may be remote (movies' poster_url).
# Forms post to us; Stripe Checkout is reached by a redirect after our own form's POST.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
    }
}
# Checks an operator chose to accept, by id (e.g. payments.E001 on a staging box with the local gateway).
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# --- REST framework ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ClerkJWTAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON nested deeper than any body of ours is a 400, not a RecursionError (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.ShallowJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "holds": env.str("HOLD_THROTTLE_RATE", default="30/min"),
        # Per client address, on the site's forms (accounts.throttling).
        "signup": env.str("SIGNUP_THROTTLE_RATE", default="10/hour"),
        "signin_failure": env.str("SIGNIN_FAILURE_THROTTLE_RATE", default="20/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cinema booking API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


# --- Auth provider (Clerk) ---
CLERK_WEBHOOK_SECRET = env.str("CLERK_WEBHOOK_SECRET", default="")
CLERK_JWT_KEY = env.str("CLERK_JWT_KEY", default="").replace("\\n", "\n")
CLERK_AUTHORIZED_PARTIES = env.list("CLERK_AUTHORIZED_PARTIES", default=[])

# --- Bookings ---
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="usd").lower()
BOOKING_HOLD_SECONDS = env.int("BOOKING_HOLD_SECONDS", default=600)
EXPIRY_SWEEP_SECONDS = env.int("EXPIRY_SWEEP_SECONDS", default=10)  # interval of bookings.expire_unpaid_bookings (a migration makes the schedule)
MAX_SEATS_PER_BOOKING = env.int("MAX_SEATS_PER_BOOKING", default=10)
MAX_PENDING_HOLDS_PER_SHOWTIME = env.int("MAX_PENDING_HOLDS_PER_SHOWTIME", default=2)
# Companion seats go only with their wheelchair space until this many minutes before the start.
ACCESSIBLE_RELEASE_MINUTES = env.int("ACCESSIBLE_RELEASE_MINUTES", default=60)
SHOWTIME_CLEANING_MINUTES = env.int("SHOWTIME_CLEANING_MINUTES", default=15)
REFUND_FULL_HOURS = env.int("REFUND_FULL_HOURS", default=24)
REFUND_NONE_HOURS = env.int("REFUND_NONE_HOURS", default=2)
REFUND_PARTIAL_PERCENT = env.int("REFUND_PARTIAL_PERCENT", default=50)
WAITLIST_OFFER_SECONDS = env.int("WAITLIST_OFFER_SECONDS", default=900)
WAITLIST_CUTOFF_MINUTES = env.int("WAITLIST_CUTOFF_MINUTES", default=30)
TICKET_SIGNING_SALT = "bookings.ticket"

# --- Reports and posters ---
REPORT_RETENTION_DAYS = env.int("REPORT_RETENTION_DAYS", default=7)
REPORT_TIME_LIMIT_SECONDS = env.int("REPORT_TIME_LIMIT_SECONDS", default=30 * 60)

# --- Payments ---
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # a local stub in tests and benchmarks
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="")
if not PAYMENT_GATEWAY:
    if STRIPE_SECRET_KEY:
        PAYMENT_GATEWAY = "stripe"
    elif DEBUG:
        PAYMENT_GATEWAY = "local"
    else:
        raise ImproperlyConfigured(
            "Set STRIPE_SECRET_KEY (or PAYMENT_GATEWAY=local to take no money) when DEBUG is false."
        )
if PAYMENT_GATEWAY not in ("stripe", "local"):
    raise ImproperlyConfigured("PAYMENT_GATEWAY must be 'stripe' or 'local'.")
if PAYMENT_GATEWAY == "stripe" and not STRIPE_WEBHOOK_SECRET and not DEBUG:
    # Payments would be taken and never recorded: every webhook would fail its signature check.
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET must be set when PAYMENT_GATEWAY is stripe and DEBUG is false.")
if PAYMENT_GATEWAY == "local" and not STRIPE_WEBHOOK_SECRET:
    STRIPE_WEBHOOK_SECRET = "whsec_local_development_secret"

# --- Email ---
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="tickets@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = (
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend"
    )
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_FALLBACK_URL = env.str("EMAIL_FALLBACK_URL", default="")
ANYMAIL = env.dict("ANYMAIL", default={})
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=6)
EMAIL_RETRY_BASE_SECONDS = env.int("EMAIL_RETRY_BASE_SECONDS", default=30)
EMAIL_RATE_LIMIT = env.str("EMAIL_RATE_LIMIT", default="") or None
REMINDER_LEAD_HOURS = env.int("REMINDER_LEAD_HOURS", default=3)
ANNOUNCEMENT_BATCH_SIZE = env.int("ANNOUNCEMENT_BATCH_SIZE", default=50)
# Outbox rows one `notifications.send_email_batch` task sends over its open connections.
EMAIL_SEND_BATCH_SIZE = env.int("EMAIL_SEND_BATCH_SIZE", default=50)
CAMPAIGN_RATE_LIMIT = env.str("CAMPAIGN_RATE_LIMIT", default="600/m") or None
REQUEUE_STALE_AFTER_SECONDS = env.int("REQUEUE_STALE_AFTER_SECONDS", default=300)

# --- Celery ---
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")

# --- Cache: the throttle counts (API and site), one Redis shared by every web process; by default
# the broker's when it is Redis. It fails open (core/cache.py): a cache outage never stops holds.
CACHE_URL = env.str("CACHE_URL", default="") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "locmemcache://"
)
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=1000)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits out a broker outage of any length instead of exiting after 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Soft shutdown (Celery 5.5+): on a cold shutdown (SIGQUIT, or SIGTERM with REMAP_SIGTERM=SIGQUIT
# as compose sets) running tasks get this long to finish (a send is bounded by EMAIL_TIMEOUT per
# provider); what is still running then is cancelled and, being acks_late, goes back to the queue.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", default=25.0)
# An idle worker stops at once; countdown tasks it holds are unacked and Redis hands them out again.
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = False
# On a lost broker connection let a running send finish (the outbox row guards against a repeat).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Publishing must not hang a web request when Redis is away: the DB row is the truth
# and the requeue sweepers send it later.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any countdown we use (the hold, email backoff capped at an hour).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    # Retry the publish at once, then give up: a web request never sleeps on a down broker.
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    # RabbitMQ (amqp://): publisher confirms, so a publish the broker did not take raises and the
    # row waits for the sweepers. The Redis transport ignores it.
    "confirm_publish": True,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "bookings.process_stripe_event": {"queue": "payments"},
    "bookings.refund_booking": {"queue": "payments"},
    "bookings.expire_stripe_session": {"queue": "payments"},
    "notifications.send_email": {"queue": "email"},
    "notifications.send_email_batch": {"queue": "email"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
