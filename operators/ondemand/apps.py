from __future__ import annotations

from django.apps import AppConfig


class OnDemandConfig(AppConfig):
    name = "operators.ondemand"
    label = "ondemand"
    verbose_name = "On-demand services, vehicles and seat holds"
    default_auto_field = "django.db.models.BigAutoField"
