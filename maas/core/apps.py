from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "maas.core"
    label = "core"
    verbose_name = "Core (errors, health, shared API helpers)"
