from __future__ import annotations

from django.urls import path

from operators import apis

urlpatterns = [
    path("operators", apis.OperatorListCreateApi.as_view(), name="operator-list"),
    path("operators/<slug:slug>", apis.OperatorDetailApi.as_view(), name="operator-detail"),
]
