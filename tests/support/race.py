"""The one race helper: every function in its own thread and database connection, released together."""

import threading
from typing import NamedTuple

from django.db import connection


class RaceResult(NamedTuple):
    results: list  # what each function returned, or the exception it raised, in order
    errors: list  # the exceptions raised, in the order they happened


def run_at_once(functions, *, timeout=60, cleanup=None):
    """Run each function in its own thread behind one barrier, so they hit the database at the
    same instant on real concurrent connections. Each thread closes its connection (and calls
    `cleanup()` first, when given). Fails when a thread hangs past `timeout`."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def run(i, function):
        try:
            barrier.wait(timeout=timeout)
            results[i] = function()
        except Exception as exc:  # handed back to the test, never swallowed
            results[i] = exc
            errors.append(exc)
        finally:
            if cleanup is not None:
                cleanup()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * 2)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    return RaceResult(results, errors)
