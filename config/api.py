"""API error shape: every error is {"detail": "...", "code": "..."} (field errors may be added)."""

from django.core.exceptions import PermissionDenied, ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """409: the request is well formed but the state of things refuses it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, **extra):
        super().__init__(detail, code)
        self.extra = extra


class ServiceUnavailable(exceptions.APIException):
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
    if isinstance(exc, DjangoValidationError):
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



def _is_api(request):
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """handler404: an unknown path under /api/ answers in the API's error shape, not the site's page."""
    if _is_api(request):
        from django.http import JsonResponse

        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    from django.views.defaults import page_not_found as site_page_not_found

    return site_page_not_found(request, exception)


def server_error(request):
    """handler500: a crash under /api/ still answers JSON {"detail","code"} (it is a bug all the same)."""
    if _is_api(request):
        from django.http import JsonResponse

        return JsonResponse({"detail": "A server error occurred.", "code": "server_error"}, status=500)
    from django.views.defaults import server_error as site_server_error

    return site_server_error(request)
