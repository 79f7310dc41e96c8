"""The audit log of statistics pulls: who pulled what, when, and how many rows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from maas.core.roles import Role
from maas.platform.models import StatsPull


def stats_pull_record(
    *, user: Any, endpoint: str, parameters: dict[str, Any], status_code: int, row_count: int
) -> StatsPull:
    return StatsPull.objects.create(
        user=user,
        username=user.get_username(),
        role=str(getattr(user, "role", "")),
        endpoint=endpoint[:200],
        parameters=parameters,
        status_code=status_code,
        row_count=row_count,
    )


def stats_pull_list() -> QuerySet[StatsPull]:
    return StatsPull.objects.all()


class StatsPullAuditMixin:
    """Writes a StatsPull row for every request of a city analyst or an admin."""

    row_count = 0

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        user = request.user
        role = str(getattr(user, "role", ""))
        if (
            user is not None
            and user.is_authenticated
            and not getattr(user, "is_api_key", False)
            and role in (Role.CITY, Role.ADMIN)
        ):
            stats_pull_record(
                user=user,
                endpoint=request.path,
                parameters={key: request.query_params.getlist(key) for key in request.query_params},
                status_code=response.status_code,
                row_count=self.row_count if response.status_code < 400 else 0,
            )
        return response
