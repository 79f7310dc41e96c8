from __future__ import annotations

from django.urls import path

from maas.platform import apis

urlpatterns = [
    path("stats/accounts", apis.StatsAccountsApi.as_view(), name="stats-accounts"),
    path("stats/ridership", apis.StatsRidershipApi.as_view(), name="stats-ridership"),
    path("stats/od", apis.StatsOdApi.as_view(), name="stats-od"),
    path("stats/bikeshare", apis.StatsBikeshareApi.as_view(), name="stats-bikeshare"),
    path("stats/ondemand", apis.StatsOnDemandApi.as_view(), name="stats-ondemand"),
    path("stats/datapackage", apis.StatsDatapackageApi.as_view(), name="stats-datapackage"),
    path("stats/audit", apis.StatsAuditApi.as_view(), name="stats-audit"),
]
