"""The Celery app. The beat schedule lives here, in one place.

With no broker configured (`REDIS_URL`/`CELERY_BROKER_URL` unset) settings turn on
`task_always_eager`, so tasks run in-process and `make run` needs no server.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maas.settings")

app = Celery("maas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Statistics tasks live beside (not in) the platform push tasks module.
app.autodiscover_tasks(related_name="stats_tasks")

# Every periodic job of the system, in one place. Later issues add GBFS polling,
# hold expiry, the platform push and aggregation here.
app.conf.beat_schedule = {
    # Stored Idempotency-Key answers older than IDEMPOTENCY_RETENTION_S are deleted.
    "idempotency-records-purge": {
        "task": "maas.core.idempotency_records_purge",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
    # GBFS: the dispatcher claims each file whose own ttl (at least GBFS_MIN_TTL_S) has
    # elapsed and queues one poll per file; it runs often so a 10 s ttl is honoured.
    "gbfs-poll-due": {
        "task": "gbfs.poll_due",
        "schedule": float(os.environ.get("GBFS_POLL_INTERVAL_S", "10")),
        "options": {"expires": 30},
    },
    # On-demand: HELD rides past expires_at become EXPIRED (their seats are already free
    # to the dispatcher; the sweep makes the state visible to bookings and operators).
    "ondemand-rides-expire": {
        "task": "ondemand.rides_expire",
        "schedule": float(os.environ.get("ONDEMAND_EXPIRE_INTERVAL_S", "30")),
        "options": {"expires": 60},
    },
    # Bookings: PENDING holds past expires_at become EXPIRED and give their seats, bikes
    # and tickets back; operator CANCELs that could not be delivered are retried.
    "bookings-holds-expire": {
        "task": "bookings.holds_expire",
        "schedule": float(os.environ.get("BOOKING_EXPIRE_INTERVAL_S", "30")),
        "options": {"expires": 60},
    },
    # Usage events to the shared data platform: each run drains what is due (per-stream
    # locks make overlapping runs safe; a failing stream backs off on its own).
    "platform-usage-push": {
        "task": "platform.usage_push",
        "schedule": float(os.environ.get("PLATFORM_PUSH_INTERVAL_S", "30")),
        "options": {"expires": 60},
    },
    # Statistics: recompute yesterday's and today's aggregates (idempotent) every hour.
    "platform-aggregate-usage": {
        "task": "platform.aggregate_usage",
        "schedule": float(os.environ.get("STATS_AGGREGATE_INTERVAL_S", "3600")),
        "options": {"expires": 1800},
    },
}
