"""Celery tasks of the platform app: thin wrappers around the delivery service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from maas.platform.delivery import usage_push

logger = logging.getLogger(__name__)


@shared_task(name="platform.usage_push")
def usage_push_task() -> dict[str, int]:
    """Deliver pending usage events (beat: PLATFORM_PUSH_INTERVAL_S). Idempotent and safe to
    run on several workers at once (per-stream locks); a failure is retried by the next run."""
    if not settings.PLATFORM_INGEST_URL or not settings.PLATFORM_INGEST_SECRET:
        return {"delivered": 0, "failed": 0}
    result = usage_push()
    return {"delivered": result.delivered, "failed": sum(s.failed for s in result.streams)}
