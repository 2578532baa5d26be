"""The compose stack, read as data (nothing here runs Docker): every service the issue names,
with its command, health check, restart policy, start order and settings."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command_of(service):
    command = service.get("command", "")
    return command if isinstance(command, str) else " ".join(command)


def healthcheck_of(service):
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def test_every_service_of_the_stack_is_there(services):
    assert {"web", "worker", "beat", "postgres", "redis", "flower", "migrate"} <= set(services)


def test_web_runs_gunicorn_and_is_checked_on_healthz(services):
    web = services["web"]
    assert command_of(web).startswith("gunicorn config.wsgi")
    assert "/healthz" in healthcheck_of(web)


def test_worker_consumes_every_queue_and_recycles_its_children(services):
    worker = services["worker"]
    command = command_of(worker)
    assert command.startswith("celery -A config worker")
    # No -Q: the worker consumes every queue the app declares; check that covers the three.
    assert " -Q" not in command and "--queues" not in command
    from config.celery import app

    assert {q.name for q in app.conf.task_queues} == {"default", "payments", "email"}
    assert re.search(r"--max-tasks-per-child[= ]\d+", command)
    assert "celery -A config inspect ping" in healthcheck_of(worker)


def test_worker_shutdown_lets_a_running_send_finish(services):
    from django.conf import settings

    worker = services["worker"]
    assert worker["environment"]["REMAP_SIGTERM"] == "SIGQUIT"
    grace = int(str(worker["stop_grace_period"]).rstrip("s"))
    assert settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT > settings.EMAIL_TIMEOUT
    assert grace > settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT


def test_exactly_one_beat_with_the_database_scheduler(services):
    beat = services["beat"]
    assert command_of(beat).startswith("celery -A config beat")
    assert "django_celery_beat.schedulers:DatabaseScheduler" in command_of(beat)
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    schedulers = [name for name, s in services.items() if " beat" in command_of(s)]
    assert schedulers == ["beat"]
    # No worker embeds a scheduler either (-B / --beat).
    assert not any(re.search(r"(\s-B\b|--beat)", command_of(s)) for s in services.values())


def test_postgres_and_redis_are_checked_and_keep_their_data(services):
    postgres, redis = services["postgres"], services["redis"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in healthcheck_of(postgres)
    assert postgres["volumes"]
    assert "redis-cli ping" in healthcheck_of(redis)
    assert "--appendonly yes" in command_of(redis)
    assert redis["volumes"]


def test_flower_watches_the_broker(services):
    assert command_of(services["flower"]).startswith("celery -A config flower")


def test_flower_has_no_usable_default_login(services):
    """Compose's `${VAR:?message}` refuses to start the stack while FLOWER_BASIC_AUTH is unset or
    empty, and .env.example leaves it empty: no shared default password reaches a deployment."""
    command = command_of(services["flower"])
    assert re.search(r"--basic-auth=\$\{FLOWER_BASIC_AUTH:\?[^}]+\}", command), command
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()
    assert _env_example()["FLOWER_BASIC_AUTH"] == ""


def test_long_running_services_restart_unless_stopped(services):
    for name in ("web", "worker", "beat", "postgres", "redis", "flower"):
        assert services[name]["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"


def test_migrations_run_before_web_worker_and_beat(services):
    assert command_of(services["migrate"]) == "python manage.py migrate --noinput"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_app_services_read_env_file_and_reach_services_by_name(services):
    for name in ("web", "worker", "beat", "flower", "migrate"):
        service = services[name]
        assert service["env_file"] == ".env", name
        assert "@postgres:5432/" in service["environment"]["DATABASE_URL"], name
        assert service["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name


def _env_example():
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value
    return values


CONTRACT_SETTINGS = """SECRET_KEY DEBUG ALLOWED_HOSTS DATABASE_URL CELERY_BROKER_URL SITE_URL LANGUAGE_CODE
DEFAULT_CURRENCY EMAIL_URL EMAIL_FALLBACK_URL DEFAULT_FROM_EMAIL PAYMENT_GATEWAY STRIPE_SECRET_KEY
STRIPE_WEBHOOK_SECRET CLERK_WEBHOOK_SECRET CLERK_JWT_KEY CLERK_AUTHORIZED_PARTIES BOOKING_HOLD_SECONDS
MAX_SEATS_PER_BOOKING REMINDER_LEAD_HOURS ANNOUNCEMENT_BATCH_SIZE EMAIL_RATE_LIMIT EMAIL_MAX_ATTEMPTS
EMAIL_RETRY_BASE_SECONDS REQUEUE_STALE_AFTER_SECONDS SECURE_SSL_REDIRECT""".split()


def test_env_example_lists_every_contract_setting_with_a_comment():
    values = _env_example()
    assert set(CONTRACT_SETTINGS) <= set(values), set(CONTRACT_SETTINGS) - set(values)
    lines = (ROOT / ".env.example").read_text().splitlines()
    for key in CONTRACT_SETTINGS:
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}="))
        assert lines[index - 1].startswith("#"), f"{key} has no comment above it"


def test_env_example_is_not_a_production_secret():
    assert _env_example()["SECRET_KEY"].startswith("change-me")


def test_dockerfile_builds_a_slim_non_root_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
