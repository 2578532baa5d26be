"""The default cache: one Redis shared by every web process, failing open.

Throttle counts (the API's and the site's) live here, so every gunicorn worker counts the same
hits. When Redis is away, a read finds nothing and a write is dropped: a throttle then lets the
request through instead of refusing holds because of a cache outage. The failure is logged, and
Redis is not asked again for RETRY_AFTER_SECONDS, so requests do not each wait for a timeout."""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)


class FailOpenRedisCache(RedisCache):
    RETRY_AFTER_SECONDS = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _fail_open(self, operation, default, *args):
        if time.monotonic() < self._down_until:
            return default
        try:
            return getattr(RedisCache, operation)(self, *args)
        except UNAVAILABLE as exc:
            self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
            logger.warning(
                "cache unavailable (%s); failing open, Redis not asked again for %.0f s",
                type(exc).__name__, self.RETRY_AFTER_SECONDS,
            )
            return default

    def get(self, key, default=None, version=None):
        return self._fail_open("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._fail_open("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._fail_open("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set", None, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("add", False, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("touch", False, key, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set_many", list(data), data, timeout, version)

    def delete(self, key, version=None):
        return self._fail_open("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._fail_open("delete_many", None, keys, version)

    def clear(self):
        return self._fail_open("clear", False)
