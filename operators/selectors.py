"""Read-side queries for operators."""

from __future__ import annotations

from django.db.models import QuerySet

from operators.models import Operator


def operator_list() -> QuerySet[Operator]:
    """All operators, ordered by slug."""
    return Operator.objects.order_by("slug")


def operator_get(*, slug: str) -> Operator:
    """The operator with `slug`; raises Operator.DoesNotExist."""
    return Operator.objects.get(slug=slug)
