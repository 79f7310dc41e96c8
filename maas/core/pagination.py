"""Cursor pagination that keeps the contract's list shapes.

API.md shows list endpoints returning JSON arrays (`GET /api/v1/operators -> [...]`) and
also says lists are paginated with `?cursor=` / `next`. We keep the array as the body and
give `next` in a `Link: <url>; rel="next"` header (RFC 8288), see
docs/decisions/004-list-pagination.md.
"""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import CursorPagination
from rest_framework.response import Response


class LinkHeaderCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 500
    page_size_query_param = "limit"
    ordering = "id"

    def get_paginated_response(self, data: Any) -> Response:
        response = Response(data)
        next_url = self.get_next_link()
        if next_url:
            response["Link"] = f'<{next_url}>; rel="next"'
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema
