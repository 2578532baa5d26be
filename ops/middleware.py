"""A database that is away (restarting, failing over) answers 503, never a 500 or a hang.

The connection timeout in settings bounds the wait; this turns the error into the API's error
shape. Views raise through `process_exception`; errors raised in other middleware (the session
save, the user's language) are caught through `got_request_exception`, which Django sends with
the exception still being handled, before it builds its 500."""

import logging
import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver

from core.api import error_response

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def database_unavailable_response():
    response = error_response("database_unavailable", "The database is unavailable; try again shortly.")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@receiver(got_request_exception)
def _mark_database_failure(sender, request=None, **kwargs):
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, DATABASE_ERRORS):
        request._database_unavailable = exc


class DatabaseUnavailableMiddleware:
    """Place it right after SecurityMiddleware, so it wraps every layer that may query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except DATABASE_ERRORS as exc:  # only when exceptions propagate (DEBUG_PROPAGATE_EXCEPTIONS)
            return self._unavailable(request, exc)
        failure = getattr(request, "_database_unavailable", None)
        if failure is not None and response.status_code >= 500:
            return self._unavailable(request, failure)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return self._unavailable(request, exception)
        return None

    @staticmethod
    def _unavailable(request, exc):
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
        return database_unavailable_response()


class RequestTooLargeMiddleware:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (or too many form fields) read by a view answers
    413 in the API's error shape; Django alone would answer a bare 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)):
            return error_response("request_too_large", "The request body is too large.")
        return None
