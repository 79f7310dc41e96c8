"""URL map. API endpoints live under /api/v1/; unknown /api/ paths answer the JSON 404."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from maas.core import errors, health
from maas.web import views as web_views

api_v1 = [
    path("", include("maas.accounts.urls")),
    path("", include("operators.urls")),
    path("", include("operators.gbfs.urls")),
    path("", include("operators.tourism.urls")),
    path("", include("maas.platform.urls")),
    path("", include("maas.trips.urls")),
    path("", include("maas.wallet.urls")),
    path("", include("maas.bookings.urls")),
]

urlpatterns = [
    path("", web_views.index, name="index"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", errors.api_not_found),
    path("admin/", admin.site.urls),
]

handler400 = errors.handler400
handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500
