from __future__ import annotations

from django.urls import path

from operators.tourism import apis

urlpatterns = [
    path("attractions", apis.AttractionListApi.as_view(), name="attractions"),
]
