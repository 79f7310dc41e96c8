from __future__ import annotations

from django.urls import path

from maas.trips import apis

urlpatterns = [
    path("plan", apis.PlanApi.as_view(), name="plan"),
]
