from __future__ import annotations

from django.urls import path

from operators.ondemand import apis

_base = "operators/<slug:slug>/ondemand"

urlpatterns = [
    path(
        f"{_base}/services",
        apis.OnDemandServiceListCreateApi.as_view(),
        name="ondemand-services",
    ),
    path(
        f"{_base}/services/<int:service_id>",
        apis.OnDemandServiceDetailApi.as_view(),
        name="ondemand-service-detail",
    ),
    path(
        f"{_base}/services/<int:service_id>/deactivate",
        apis.OnDemandServiceDeactivateApi.as_view(),
        name="ondemand-service-deactivate",
    ),
    path(f"{_base}/vehicles", apis.VehicleListCreateApi.as_view(), name="ondemand-vehicles"),
    path(
        f"{_base}/vehicles/<int:vehicle_id>",
        apis.VehicleDetailApi.as_view(),
        name="ondemand-vehicle-detail",
    ),
    path(
        f"{_base}/vehicles/<int:vehicle_id>/deactivate",
        apis.VehicleDeactivateApi.as_view(),
        name="ondemand-vehicle-deactivate",
    ),
    path(f"{_base}/rides", apis.RideListApi.as_view(), name="ondemand-rides"),
]
