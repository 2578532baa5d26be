"""Waiting for another thread or process to have done its job (polling, never a fixed sleep)."""

import time


def wait_for(predicate, timeout=20.0, interval=0.05, what="condition"):
    """Poll until `predicate()` is truthy and return it; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"{what} not met within {timeout}s")
