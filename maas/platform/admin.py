from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from maas.platform.models import StatsPull


@admin.register(StatsPull)
class StatsPullAdmin(admin.ModelAdmin[StatsPull]):
    """The audit log of statistics pulls: read-only, for administrators."""

    list_display = ("at", "username", "role", "endpoint", "status_code", "row_count")
    list_filter = ("role", "endpoint")
    search_fields = ("username", "endpoint")
    readonly_fields = (
        "at",
        "user",
        "username",
        "role",
        "endpoint",
        "parameters",
        "status_code",
        "row_count",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
