from __future__ import annotations

from django.apps import AppConfig


class TripsConfig(AppConfig):
    name = "maas.trips"
    label = "trips"
    verbose_name = "Trip planning and offers"
