"""Settings of `bench/holds.py`'s gunicorn only: the project's settings plus a bench-only URLconf."""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.holds_urls"

# 409s are the point of the exercise: do not log each one.
LOGGING["loggers"]["django.request"] = {"level": "ERROR"}  # noqa: F405
