from __future__ import annotations

from django.apps import AppConfig


class TripsConfig(AppConfig):
    name = "maas.trips"
    label = "trips"
    verbose_name = "Trip planning and offers"

    def ready(self) -> None:
        from maas.core.health import readiness_check_register
        from maas.trips.services import snapshot_readiness

        readiness_check_register(name="snapshot", check=snapshot_readiness)
