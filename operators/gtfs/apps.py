from __future__ import annotations

from django.apps import AppConfig


class GtfsConfig(AppConfig):
    name = "operators.gtfs"
    label = "gtfs"
    verbose_name = "GTFS, GTFS-JP and GTFS-Flex tables"
    default_auto_field = "django.db.models.BigAutoField"
