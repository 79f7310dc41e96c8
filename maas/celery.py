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

# Every periodic job of the system, in one place. Later issues add GBFS polling,
# hold expiry, the platform push and aggregation here.
app.conf.beat_schedule = {}
