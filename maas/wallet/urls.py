from __future__ import annotations

from django.urls import path

from maas.wallet import apis

urlpatterns = [
    path("wallet", apis.WalletApi.as_view(), name="wallet"),
    path("wallet/top-ups", apis.WalletTopUpApi.as_view(), name="wallet-top-ups"),
]
