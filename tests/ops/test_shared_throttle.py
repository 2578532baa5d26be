"""Throttle counts live in one Redis cache shared by every web process, the site's hold form
is throttled like the API (one budget per user), and a Redis outage does not stop holds: the
cache fails open and says so in the log (core.cache)."""

import pytest
import redis
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from bookings.models import Booking
from tests.factories import UserFactory
from tests.support.harness import needs_redis_server

pytestmark = [pytest.mark.django_db, needs_redis_server]


@pytest.fixture
def redis_cache(settings, own_redis):
    """The production cache configuration (config/settings.py) pointed at our own Redis."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.MAX_PENDING_HOLDS_PER_SHOWTIME = 100
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {**original, "holds": "2/min"}
    yield own_redis
    ScopedRateThrottle.THROTTLE_RATES = original


def site_client(user):
    client = Client()
    client.force_login(user)
    return client


def site_hold(client, showtime, seat):
    return client.post(f"/showtimes/{showtime.pk}/hold/", {"seats": str(seat.pk)})


def api_hold(client, showtime, seat):
    return client.post("/api/v1/bookings/", {"showtime": showtime.pk, "seats": [seat.pk]}, content_type="application/json")


def test_the_site_hold_form_shares_the_apis_budget_counted_in_redis(redis_cache, showtime):
    seats = list(showtime.auditorium.seats.order_by("id"))
    user = UserFactory()
    client = site_client(user)

    first = site_hold(client, showtime, seats[0])
    second = api_hold(client, showtime, seats[1])
    third = site_hold(client, showtime, seats[2])
    fourth = api_hold(client, showtime, seats[3])

    assert first.status_code == 302 and "/bookings/" in first.url and second.status_code == 201
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert "Too many attempts" in third.content.decode()
    assert fourth.status_code == 429 and fourth.json()["code"] == "throttled"
    assert Booking.objects.filter(user=user).count() == 2
    # The counts are in Redis, where every gunicorn worker reads them.
    keys = redis.Redis.from_url(redis_cache.url).keys(f"*throttle_holds_{user.pk}")
    assert len(keys) == 1
    assert site_hold(site_client(UserFactory()), showtime, seats[4]).status_code == 302  # per user


def test_a_redis_outage_does_not_stop_holds(redis_cache, showtime, caplog):
    seats = list(showtime.auditorium.seats.order_by("id"))
    client = site_client(UserFactory())
    assert site_hold(client, showtime, seats[0]).status_code == 302

    redis_cache.stop()
    with caplog.at_level("WARNING", logger="core.cache"):
        site = site_hold(client, showtime, seats[1])
        api = api_hold(client, showtime, seats[2])
        more = api_hold(client, showtime, seats[3])  # over the rate, but nothing can count it now

    assert site.status_code == 302 and "/bookings/" in site.url
    assert api.status_code == 201 and more.status_code == 201
    assert any("cache unavailable" in r.getMessage() for r in caplog.records if r.name == "core.cache")
