"""Middleware that keeps the API's error contract for exceptions nobody else handled."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from maas.core.errors import error_response, is_api_path

logger = logging.getLogger("maas.api")


class ApiErrorMiddleware:
    """Renders an unhandled exception on an `/api/` path as the JSON error body (500),
    whatever DEBUG says, and logs it with the path (never the request body)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response("payload_too_large", str(exception), 413)
        logger.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return error_response("internal_error", "Internal server error.", 500)
