"""API error shape: every error is {"detail": "...", "code": "..."} (field errors may be added).

Domain errors (`core.errors.DomainError`) carry a code and no HTTP status: `STATUS_BY_CODE`
below is the one table from code to status, used by the exception handler for every app."""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found as site_page_not_found, server_error as site_server_error
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError

# The HTTP status of each domain error code (CONTRACT.md). A code not listed answers 400.
STATUS_BY_CODE = {
    # 404: the thing named does not exist (or is not yours)
    "not_found": status.HTTP_404_NOT_FOUND,
    # 409: well formed, but the state of things refuses it
    "conflict": status.HTTP_409_CONFLICT,
    "seats_unavailable": status.HTTP_409_CONFLICT,
    "too_many_holds": status.HTTP_409_CONFLICT,
    "too_late": status.HTTP_409_CONFLICT,
    "not_pending": status.HTTP_409_CONFLICT,
    "hold_expired": status.HTTP_409_CONFLICT,
    "ticket_not_valid": status.HTTP_409_CONFLICT,
    "already_checked_in": status.HTTP_409_CONFLICT,
    "not_resendable": status.HTTP_409_CONFLICT,
    "no_adjacent_seats": status.HTTP_409_CONFLICT,
    "companion_needs_wheelchair": status.HTTP_409_CONFLICT,
    "seats_available": status.HTTP_409_CONFLICT,
    "already_waiting": status.HTTP_409_CONFLICT,
    # 413
    "request_too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    # 503: a service the request needs is down or not configured; try again later
    "service_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "payment_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "webhook_not_configured": status.HTTP_503_SERVICE_UNAVAILABLE,
    "database_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "not_ready": status.HTTP_503_SERVICE_UNAVAILABLE,
}
DEFAULT_STATUS = status.HTTP_400_BAD_REQUEST


def status_for(code):
    """The HTTP status the API answers a domain error of `code` with."""
    return STATUS_BY_CODE.get(code, DEFAULT_STATUS)


class ApiError(exceptions.APIException):
    """A refusal answered as {"detail", "code", **extra}, its status taken from STATUS_BY_CODE."""

    status_code = None  # from STATUS_BY_CODE, unless a subclass fixes it
    default_detail = "Invalid input."
    default_code = "invalid"

    def __init__(self, detail=None, code=None, **extra):
        super().__init__(detail, code)
        self.extra = extra
        if self.status_code is None:
            self.status_code = status_for(code or self.default_code)

    @classmethod
    def from_domain(cls, error):
        return cls(error.detail, error.code, **error.extra)


class Conflict(ApiError):
    """409: the request is well formed but the state of things refuses it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"


class ServiceUnavailable(ApiError):
    """503: a service this request needs is down or not configured."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service this request needs is unavailable; try again shortly."
    default_code = "service_unavailable"


def _first_code(codes):
    while isinstance(codes, (list, dict)):
        if not codes:
            return "invalid"
        codes = next(iter(codes.values())) if isinstance(codes, dict) else codes[0]
    return codes or "invalid"


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        exc = ApiError.from_domain(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        body = {"detail": "Invalid input.", "code": _first_code(exc.get_codes())}
        if isinstance(data, dict):
            if "detail" in data and len(data) == 1:
                body["detail"] = data["detail"][0] if isinstance(data["detail"], list) else data["detail"]
            elif "non_field_errors" in data and len(data) == 1:
                body["detail"] = data["non_field_errors"][0]
            else:
                body.update({k: v for k, v in data.items() if k not in ("detail", "code")})
                first = next(iter(data.values()))
                if isinstance(first, list) and first and isinstance(first[0], str):
                    body["detail"] = f"{next(iter(data))}: {first[0]}"
        elif isinstance(data, list) and data:
            body["detail"] = str(data[0])
        response.data = body
    else:
        detail = data.get("detail") if isinstance(data, dict) else data
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = {"detail": str(detail), "code": _first_code(codes)}
        response.data.update(getattr(exc, "extra", {}) or {})
    return response


def error_response(code, detail, **extra):
    """A plain Django JsonResponse in the API's error shape (middleware, probes, handlers)."""
    return JsonResponse({"detail": detail, "code": code, **extra}, status=status_for(code))


def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """handler404: an unknown path under /api/ answers in the API's error shape, not the site's page."""
    if _is_api(request):
        return error_response("not_found", "Not found.")
    return site_page_not_found(request, exception)


def server_error(request):
    """handler500: a crash under /api/ still answers JSON {"detail","code"} (it is a bug all the same)."""
    if _is_api(request):
        return JsonResponse({"detail": "A server error occurred.", "code": "server_error"}, status=500)
    return site_server_error(request)
