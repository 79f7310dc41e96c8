from __future__ import annotations

from django.urls import path

from maas.accounts import apis

urlpatterns = [
    path("auth/register", apis.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", apis.TokenApi.as_view(), name="auth-token"),
    path("auth/token/refresh", apis.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("me/consent", apis.ConsentApi.as_view(), name="me-consent"),
    path("me/export", apis.MeExportApi.as_view(), name="me-export"),
    path("operators/<slug:slug>/api-keys", apis.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path(
        "operators/<slug:slug>/api-keys/<int:key_id>",
        apis.ApiKeyRevokeApi.as_view(),
        name="api-key-revoke",
    ),
]
