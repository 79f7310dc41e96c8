"""One error body for every API error (API.md):

    {"error": {"code": "snake_case_code", "message": "human text", "details": {...}}}

DRF exceptions go through `api_exception_handler`; Django's own errors on `/api/` paths
(unknown URL, CSRF failure, anything unhandled) through the views and middleware below.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """An API error with an explicit code, status and details.

    Raise it from services/selectors-calling views when a domain rule refuses a request:
    `raise ApiError("offer_expired", "The offer expired at ...", status_code=409)`.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.details = details or {}


def django_validation_error(exc: DjangoValidationError) -> ApiError:
    """A model validation error (from `full_clean()` in a service) as a 400 API error."""
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    first_field, messages = next(iter(fields.items()))
    prefix = "" if first_field in ("__all__", "non_field_errors") else f"{first_field}: "
    return ApiError(
        "invalid_request", f"Invalid request: {prefix}{messages[0]}", details={"fields": fields}
    )


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    code: str, message: str, status_code: int, details: dict[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(
        error_body(code, message, details),
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )


# DRF's default codes, renamed where the contract or MobilityData names are clearer.
_CODE_BY_EXCEPTION: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "authentication_failed"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
    (exceptions.ParseError, "malformed_request"),
    (exceptions.ValidationError, "invalid_request"),
]


def _message_of(detail: Any) -> str:
    if isinstance(detail, list | tuple) and detail:
        return _message_of(detail[0])
    if isinstance(detail, dict) and detail:
        field, value = next(iter(detail.items()))
        inner = _message_of(value)
        return inner if field == "non_field_errors" else f"{field}: {inner}"
    return str(detail)


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list | tuple):
        return [_plain(v) for v in detail]
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler that renders every error in the one error body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: ApiErrorMiddleware answers 500

    if isinstance(exc, ApiError):
        code, message, details = exc.error_code, str(exc.detail), exc.details
    else:
        if not isinstance(exc, exceptions.APIException):
            return response
        # DRF's own classes get our names; a library's subclass keeps its specific code
        # (simplejwt's InvalidToken -> "token_not_valid", so clients know to re-login).
        code = next(
            (name for cls, name in _CODE_BY_EXCEPTION if type(exc) is cls),
            str(getattr(exc, "default_code", "error")),
        )
        message = _message_of(exc.detail)
        details = {}
        if isinstance(exc, exceptions.ValidationError):
            details = {"fields": _plain(exc.detail)}
            if isinstance(exc.detail, dict):
                message = "Invalid request: " + message
        elif isinstance(exc, exceptions.Throttled):
            wait = getattr(exc, "wait", None)
            if wait is not None:
                details = {"retry_after_s": int(wait + 0.999)}
    response.data = error_body(code, message, details)
    return response


def is_api_path(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Catch-all for unknown `/api/` URLs (independent of DEBUG)."""
    return error_response("not_found", f"No API endpoint at {request.path}.", 404)


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> HttpResponse:
    if is_api_path(request):
        return error_response("internal_error", "Internal server error.", 500)
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request):
        return error_response("bad_request", "Bad request.", 400)
    from django.views.defaults import bad_request

    return bad_request(request, exception or Exception())


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request):
        return error_response("permission_denied", "Permission denied.", 403)
    from django.views.defaults import permission_denied

    return permission_denied(request, exception or PermissionDenied())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api_path(request):
        return error_response("csrf_failed", f"CSRF verification failed: {reason}", 403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)
