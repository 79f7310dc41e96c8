"""The MaaS Django project: settings, URLs, the Celery app and the passenger/city apps."""

from __future__ import annotations

from maas.celery import app as celery_app

__all__ = ["celery_app"]
