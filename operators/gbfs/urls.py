from __future__ import annotations

from django.urls import path

from operators.gbfs import apis

urlpatterns = [
    path("operators/<slug:slug>/gbfs/push", apis.GbfsPushApi.as_view(), name="gbfs-push"),
    path("bikeshare/stations", apis.BikeshareStationListApi.as_view(), name="bikeshare-stations"),
]
