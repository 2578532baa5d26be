"""Temporary shim while bookings/ moves to core.api (issue 14); delete when nothing imports it."""

from core.api import *  # noqa: F401,F403
from core.api import Conflict, ServiceUnavailable, exception_handler, page_not_found, server_error  # noqa: F401
