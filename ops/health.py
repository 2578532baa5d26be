"""Liveness and readiness probes for orchestrators and load balancers."""

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from django.conf import settings
from django.db import connections
from django.http import JsonResponse

from core.api import error_response

logger = logging.getLogger(__name__)

READINESS_TIMEOUT_SECONDS = 1.5
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database():
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connections.close_all()


def _check_broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def readyz(request):
    """200 when the database and the broker answer, else 503 naming what failed, within 2 s."""
    checks = {"database": _check_database, "broker": _check_broker}
    futures = {name: _pool.submit(check) for name, check in checks.items()}
    failed = []
    for name, future in futures.items():
        try:
            future.result(timeout=READINESS_TIMEOUT_SECONDS)
        except FutureTimeout:
            failed.append(name)
            logger.warning("readyz: %s did not answer within %.1f s", name, READINESS_TIMEOUT_SECONDS)
        except Exception:  # any failure of a dependency is a 503, not a 500
            failed.append(name)
            # The error text names hosts, ports and users: for the log, not for the public.
            logger.warning("readyz: %s failed", name, exc_info=True)
    if failed:
        return error_response(
            "not_ready", "Not ready: " + ", ".join(sorted(failed)), status="unavailable", failed=sorted(failed)
        )
    return JsonResponse({"status": "ok"})
