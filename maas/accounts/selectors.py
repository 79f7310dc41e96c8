"""Read-side queries for accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from maas.accounts.models import ApiKey
from operators.models import Operator


def api_key_list(*, operator: Operator) -> QuerySet[ApiKey]:
    """The operator's API keys, revoked ones included (for the audit trail)."""
    return ApiKey.objects.filter(operator=operator).order_by("id")


def api_key_get(*, operator: Operator, key_id: int) -> ApiKey:
    """The key `key_id` of `operator`; raises ApiKey.DoesNotExist for other tenants' keys."""
    return ApiKey.objects.get(operator=operator, pk=key_id)
