"""Thin Celery interfaces over the booking services."""

from __future__ import annotations

from celery import shared_task

from maas.bookings.services.booking import bookings_expire, legs_cancel_retry


@shared_task(name="bookings.holds_expire")
def holds_expire_task() -> dict[str, int]:
    """PENDING bookings past their hold time become EXPIRED and release their inventory;
    operator CANCELs that failed earlier are retried."""
    return {"expired": bookings_expire(), "cancels_delivered": legs_cancel_retry()}
