"""Infrastructure tasks."""

from __future__ import annotations

import os
import socket

from celery import shared_task


@shared_task(name="maas.core.ping")
def ping(token: str) -> dict[str, object]:
    """Echo `token` with where the task ran: proves a task reached a real worker."""
    return {"token": token, "pid": os.getpid(), "hostname": socket.gethostname()}


@shared_task(name="maas.core.idempotency_records_purge")
def idempotency_records_purge() -> int:
    """Delete stored first answers older than IDEMPOTENCY_RETENTION_S: a client retries
    within minutes, and the answers hold itineraries and callers' addresses."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from maas.core.models import IdempotencyRecord

    cutoff = timezone.now() - dt.timedelta(seconds=settings.IDEMPOTENCY_RETENTION_S)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
