"""A URLconf for the error-body tests: the real URLs plus views that crash."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from maas.urls import urlpatterns as real_urlpatterns


class CrashingApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> HttpResponse:
        raise RuntimeError("boom in a DRF view")


def crashing_django_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom in a plain Django view")


urlpatterns = [
    path("api/v1/test-crash", CrashingApi.as_view()),
    path("api/v1/test-crash-plain", crashing_django_view),
    *real_urlpatterns,
]
