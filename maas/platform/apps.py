from __future__ import annotations

from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "maas.platform"
    label = "platform"
    verbose_name = "Data platform and city statistics"
