"""Aggregates for the city. Only counts leave these functions, never rows."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import TruncMonth

from maas.accounts.models import Role, User
from maas.platform.anonymity import SuppressedTable, suppress_cells


def passenger_count_by(*, group_by: str, k: int) -> SuppressedTable:
    """Registered passenger accounts grouped by `language` or by registration `month`,
    k-anonymised. An adoption indicator for the city's dashboard."""
    passengers = User.objects.filter(role=Role.PASSENGER, is_active=True)
    counts: dict[str, int]
    if group_by == "language":
        by_language = passengers.values("preferred_language").annotate(n=Count("id"))
        counts = {row["preferred_language"]: row["n"] for row in by_language}
    elif group_by == "month":
        by_month = (
            passengers.annotate(month=TruncMonth("date_joined"))
            .values("month")
            .annotate(n=Count("id"))
        )
        counts = {row["month"].strftime("%Y-%m"): row["n"] for row in by_month}
    else:
        raise ValueError(f"unknown group_by {group_by!r}")
    return suppress_cells(counts=counts, k=k)
