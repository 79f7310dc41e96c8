"""RAPTOR search over a compiled `Timetable` (numba kernel in `routing.search.kernel`).

Public entry points: `plan` (depart_at, arrive_by and range queries) and `direct_walk`,
with `StopAccess`, `SearchOptions` and `PlanResult`.
"""

from __future__ import annotations

from routing.search.engine import (
    MAX_TRANSFERS_LIMIT,
    REASON_NO_ACCESS,
    REASON_NO_CONNECTION,
    REASON_OUTSIDE_HORIZON,
    REASON_SAME_PLACE,
    PlanResult,
    SearchOptions,
    StopAccess,
    direct_journey,
    direct_walk,
    plan,
)

__all__ = [
    "MAX_TRANSFERS_LIMIT",
    "REASON_NO_ACCESS",
    "REASON_NO_CONNECTION",
    "REASON_OUTSIDE_HORIZON",
    "REASON_SAME_PLACE",
    "PlanResult",
    "SearchOptions",
    "StopAccess",
    "direct_journey",
    "direct_walk",
    "plan",
]
