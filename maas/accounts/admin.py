from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from maas.accounts.models import ApiKey, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "role", "operator", "is_active", "date_joined")
    list_filter = ("role", "operator", "is_active")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("MaaS", {"fields": ("role", "operator", "preferred_language", "share_usage_research")}),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ("prefix", "operator", "name", "created_at", "revoked_at", "last_used_at")
    list_filter = ("operator",)
    readonly_fields = ("prefix", "secret_hash", "created_at", "last_used_at")
