"""Celery tasks of on-demand capacity: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from operators.ondemand.services import rides_expire


@shared_task(name="ondemand.rides_expire", ignore_result=True)
def rides_expire_task() -> int:
    """The beat sweep (every ONDEMAND_EXPIRE_INTERVAL_S): HELD rides past expires_at
    become EXPIRED. Idempotent; holds past expiry already occupy no seats before it runs."""
    return rides_expire()
