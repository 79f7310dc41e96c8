from __future__ import annotations

from django.apps import AppConfig


class TourismConfig(AppConfig):
    name = "operators.tourism"
    label = "tourism"
    verbose_name = "Tourism attractions"

    def ready(self) -> None:
        from operators.importers import IMPORTERS
        from operators.models import FeedKind
        from operators.tourism.importer import TourismImporter

        IMPORTERS[FeedKind.TOURISM] = TourismImporter()
