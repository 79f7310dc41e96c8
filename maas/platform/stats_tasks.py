"""The scheduled statistics aggregation (a thin task: the work is aggregates_compute).
Kept apart from the outbox push tasks; maas/celery.py discovers this module by name."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from maas.platform.aggregates import aggregates_compute


@shared_task(name="platform.aggregate_usage")
def aggregate_usage_task() -> int:
    """Recompute yesterday and today: late events of the previous evening land too."""
    today = timezone.localdate()
    counts = aggregates_compute(date_from=today - dt.timedelta(days=1), date_to=today)
    return counts.ridership
