from __future__ import annotations

from django.urls import path, re_path

from operators.gtfs import apis

urlpatterns = [
    path("stops", apis.StopSearchApi.as_view(), name="stop-search"),
    re_path(
        r"^stops/(?P<stop_ref>[^/]+)/departures$",
        apis.StopDeparturesApi.as_view(),
        name="stop-departures",
    ),
    path("operators/<slug:slug>/gtfs", apis.OperatorGtfsApi.as_view(), name="operator-gtfs"),
]
