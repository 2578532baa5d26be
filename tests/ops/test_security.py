"""Production protections: `check --deploy` clean, refusal to start half-configured, request
size limits, throttling and the hoarding cap of holds, and a schema-driven fuzz with no 5xx."""

import os
import subprocess
import sys

import pytest
from rest_framework.authtoken.models import Token

from tests.support.harness import ROOT

DEPLOY_SECRET = "k3!Qx9-vR2#mW8pZ7tY4uE6iO1aS5dF0gH3jK8lZ2xC7vB9nM4q"  # 50+ chars, varied


def run_python(code_or_args, **env_overrides):
    """Run Python with a clean, production-like environment (no DEBUG, no secrets unless given)."""
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("DEBUG", "SECRET_KEY", "PAYMENT_GATEWAY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                       "SECURE_SSL_REDIRECT") and not key.startswith(("PYTEST", "DJANGO_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **env_overrides)
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


# --- configuration -----------------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false", SECRET_KEY=DEPLOY_SECRET, SECURE_SSL_REDIRECT="true",
        STRIPE_SECRET_KEY="sk_live_x", STRIPE_WEBHOOK_SECRET="whsec_live_x",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_reports_the_local_gateway_as_an_error():
    result = run_python(
        ["manage.py", "check", "--deploy"],
        DEBUG="false", SECRET_KEY=DEPLOY_SECRET, SECURE_SSL_REDIRECT="true", PAYMENT_GATEWAY="local",
    )
    assert result.returncode != 0
    assert "payments.E001" in result.stderr and "ERRORS" in result.stderr


def test_the_local_gateway_still_starts_and_its_check_can_be_silenced_by_name():
    """Staging: the process starts with the local gateway; the operator accepts the error by id."""
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="false", SECRET_KEY=DEPLOY_SECRET, SECURE_SSL_REDIRECT="true", PAYMENT_GATEWAY="local",
        SILENCED_SYSTEM_CHECKS="payments.E001",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def env_example_secret_key():
    line = next(line for line in (ROOT / ".env.example").read_text().splitlines() if line.startswith("SECRET_KEY="))
    return line.partition("=")[2]


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param("x" * 39, id="39-characters"),
        pytest.param("k3!Qx9-vR2#mW8pZ", id="16-characters"),
        pytest.param(None, id="env-example-placeholder"),
    ],
)
def test_refuses_to_start_with_a_weak_secret_key(secret_key):
    secret_key = secret_key or env_example_secret_key()
    for argv in ("import config.settings", ["manage.py", "check"]):
        result = run_python(argv, DEBUG="false", SECRET_KEY=secret_key, PAYMENT_GATEWAY="local")
        assert result.returncode != 0
        assert "ImproperlyConfigured: SECRET_KEY must be at least 40 random characters" in result.stderr


def test_the_refused_placeholder_is_the_one_of_env_example():
    """Refused by value, not only by its length: it stays refused if the placeholder grows."""
    from config import settings

    assert env_example_secret_key() == settings.ENV_EXAMPLE_SECRET_KEY


def test_a_40_character_secret_key_starts():
    result = run_python("import config.settings; print('started')", DEBUG="false", SECRET_KEY="x" * 40,
                        PAYMENT_GATEWAY="local")
    assert result.returncode == 0 and result.stdout.strip() == "started", result.stderr


@pytest.mark.parametrize("gateway_env", [{"PAYMENT_GATEWAY": "stripe"}, {"STRIPE_SECRET_KEY": "sk_live_x"}])
def test_refuses_to_start_with_stripe_but_no_webhook_secret(gateway_env):
    result = run_python(["manage.py", "check"], DEBUG="false", SECRET_KEY=DEPLOY_SECRET, **gateway_env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: STRIPE_WEBHOOK_SECRET must be set" in result.stderr
    with_secret = run_python(["manage.py", "check"], DEBUG="false", SECRET_KEY=DEPLOY_SECRET,
                             STRIPE_WEBHOOK_SECRET="whsec_live_x", **gateway_env)
    assert with_secret.returncode == 0, with_secret.stderr


def test_production_protections_are_on_when_debug_is_off():
    result = run_python(
        "from config import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)",
        DEBUG="false", SECRET_KEY=DEPLOY_SECRET, SECURE_SSL_REDIRECT="true", PAYMENT_GATEWAY="local",
    )
    assert result.stdout.split() == ["True"] * 5, result.stderr


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_python("import config.settings", DEBUG="false", PAYMENT_GATEWAY="local")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_refuses_to_start_without_a_payment_gateway_when_debug_is_off():
    result = run_python("import config.settings", DEBUG="false", SECRET_KEY=DEPLOY_SECRET)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "STRIPE_SECRET_KEY" in result.stderr


def test_hold_rate_is_read_from_the_environment():
    result = run_python(
        "from config import settings as s; print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['holds'])",
        DEBUG="true", HOLD_THROTTLE_RATE="7/min",
    )
    assert result.stdout.strip() == "7/min", result.stderr


# --- request size -------------------------------------------------------------------------------


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@pytest.mark.django_db
def test_an_oversized_json_body_is_refused_with_a_4xx(user_client, showtime, small_limit):
    from bookings.models import Booking

    padding = "x" * (small_limit + 1)
    response = user_client.post(
        "/api/v1/bookings/", data=f'{{"showtime": {showtime.pk}, "seats": [], "pad": "{padding}"}}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_an_oversized_webhook_is_refused_with_a_4xx(client, small_limit):
    response = client.post(
        "/api/v1/webhooks/stripe/", data="{" + " " * (small_limit + 1) + "}", content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=00",
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_an_oversized_form_on_the_site_is_refused_with_a_4xx(client, settings, small_limit):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
    fields = {f"field{i}": "v" for i in range(200)}
    response = client.post("/admin/login/", data=fields)
    assert 400 <= response.status_code < 500


# --- throttling and hoarding --------------------------------------------------------------------


@pytest.fixture
def holds_rate():
    """Set the `holds` rate for the test (ScopedRateThrottle copies the rates at import)."""
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    original = ScopedRateThrottle.THROTTLE_RATES

    def set_rate(rate):
        ScopedRateThrottle.THROTTLE_RATES = {**original, "holds": rate}

    yield set_rate
    ScopedRateThrottle.THROTTLE_RATES = original
    cache.clear()


def hold(client, showtime, seat):
    return client.post("/api/v1/bookings/", {"showtime": showtime.pk, "seats": [seat.pk]}, format="json")


@pytest.mark.django_db
def test_hold_creation_is_throttled_per_user(client_for, user, other_user, showtime, settings, holds_rate):
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 100
    holds_rate("3/min")
    seats = list(showtime.auditorium.seats.order_by("id"))
    mine, theirs = client_for(user), client_for(other_user)

    codes = [hold(mine, showtime, seat).status_code for seat in seats[:3]]
    throttled = hold(mine, showtime, seats[3])
    other = hold(theirs, showtime, seats[4])

    assert codes == [201, 201, 201]
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled" and "Retry-After" in throttled
    assert other.status_code == 201  # the rate is per user
    assert mine.get("/api/v1/bookings/").status_code == 200  # reading is not throttled


@pytest.mark.django_db
def test_pending_holds_per_user_and_showtime_are_capped(user_client, showtime, settings):
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 2
    seats = list(showtime.auditorium.seats.order_by("id"))
    assert [hold(user_client, showtime, seat).status_code for seat in seats[:2]] == [201, 201]
    third = hold(user_client, showtime, seats[2])
    assert third.status_code == 409 and third.json()["code"] == "too_many_holds"


# --- schemathesis -------------------------------------------------------------------------------


EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def wsgi_keeps_test_connection():
    """Calls straight into the WSGI app end with request_finished, which would close the test's
    database connection (inside its transaction); Django's own test client unhooks it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
def test_schema_fuzz_finds_no_server_error(staff_user, showtime, settings, wsgi_keeps_test_connection):
    """Every operation of the OpenAPI document, fed generated input as a staff user (so that the
    write endpoints are exercised too), in process through the WSGI app: never a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis.checks import not_a_server_error

    from config.wsgi import application

    settings.CLERK_WEBHOOK_SECRET = "whsec_" + "A" * 32  # else the endpoint is 503 by design (unconfigured)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"holds": "100000/min"}}
    token = Token.objects.create(user=staff_user)
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append((operation.label, case.body, response.status_code, response.text[:300]))
            case.validate_response(response, checks=[not_a_server_error])

        try:
            exercise()
        except Exception:  # recorded in `failures`; go on so that every operation is covered
            pass

    assert failures == []
