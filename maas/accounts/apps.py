from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "maas.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and consent"
