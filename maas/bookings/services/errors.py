"""Domain refusals of the booking services; the API turns them into the error body."""

from __future__ import annotations

from typing import Any

from maas.core.errors import ApiError


class BookingError(Exception):
    def __init__(
        self, code: str, message: str, *, status: int = 409, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}

    def as_api_error(self) -> ApiError:
        return ApiError(self.code, self.message, status_code=self.status, details=self.details)
