from __future__ import annotations

from django.urls import include, path

from operators import apis

urlpatterns = [
    path("operators", apis.OperatorListCreateApi.as_view(), name="operator-list"),
    path("operators/<slug:slug>", apis.OperatorDetailApi.as_view(), name="operator-detail"),
    path("operators/<slug:slug>/feeds", apis.FeedVersionListCreateApi.as_view(), name="feeds"),
    path(
        "operators/<slug:slug>/feeds/<int:feed_version_id>",
        apis.FeedVersionDetailApi.as_view(),
        name="feed-detail",
    ),
    path(
        "operators/<slug:slug>/feeds/<int:feed_version_id>/activate",
        apis.FeedVersionActivateApi.as_view(),
        name="feed-activate",
    ),
    path("", include("operators.gtfs.urls")),
    path("", include("operators.ondemand.urls")),
]
