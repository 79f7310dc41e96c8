"""Read-only ledger views: the ledger is changed only through services.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from maas.wallet.models import Account, Entry, Transaction


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(_ReadOnly):
    list_display = ["id", "kind", "currency", "user", "operator", "balance", "created_at"]
    list_filter = ["kind", "currency"]


class EntryInline(admin.TabularInline[Entry, Transaction]):
    model = Entry
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount", "booking_leg_id", "line_kind", "platform_fee"]


@admin.register(Transaction)
class TransactionAdmin(_ReadOnly):
    list_display = ["id", "kind", "reference", "currency", "memo", "created_at"]
    list_filter = ["kind"]
    search_fields = ["reference"]
    inlines = [EntryInline]
