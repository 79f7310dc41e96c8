from __future__ import annotations

from django.apps import AppConfig


class GbfsConfig(AppConfig):
    name = "operators.gbfs"
    label = "gbfs"
    verbose_name = "Bike share (GBFS)"

    def ready(self) -> None:
        from operators.gbfs.importer import GbfsImporter
        from operators.importers import IMPORTERS
        from operators.models import FeedKind

        IMPORTERS[FeedKind.GBFS] = GbfsImporter()
