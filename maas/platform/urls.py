from __future__ import annotations

from django.urls import path

from maas.platform import apis

urlpatterns = [
    path("stats/accounts", apis.StatsAccountsApi.as_view(), name="stats-accounts"),
]
