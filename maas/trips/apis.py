"""`GET /api/v1/plan` (API.md "Planning")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError
from maas.core.i18n import request_language
from maas.platform.services import plan_request_record
from maas.trips.params import plan_query_parse
from maas.trips.services import plan_itineraries

MAX_WINDOW_S = 3 * 3600

_PARAMS = [
    OpenApiParameter("from", str, description="origin 'lat,lon'"),
    OpenApiParameter("from_stop", str, description="origin stop id '<operator>:<stop_id>'"),
    OpenApiParameter("to", str, description="destination 'lat,lon'"),
    OpenApiParameter("to_stop", str, description="destination stop id"),
    OpenApiParameter("depart_at", OpenApiTypes.DATETIME),
    OpenApiParameter("arrive_by", OpenApiTypes.DATETIME),
    OpenApiParameter("modes", str, description="comma list of transit,walk,bikeshare,ondemand"),
    OpenApiParameter("wheelchair", bool),
    OpenApiParameter("max_walk_m", int, description="default 1000"),
    OpenApiParameter("max_transfers", int, description="0..10, default 5"),
    OpenApiParameter("walk_speed_mps", float, description="default 1.2"),
    OpenApiParameter("num_itineraries", int, description="default 5"),
    OpenApiParameter(
        "window_s",
        int,
        description="range query: every good departure within this many seconds after "
        "depart_at (rRAPTOR), at most 10800",
    ),
    OpenApiParameter("lang", str, description="ja, en or ja-Hrkt"),
]


class PlanApi(APIView):
    """Pareto-optimal itineraries (arrival, transfers) — or (departure, transfers) for
    arrive_by — each feasible in the published timetable."""

    permission_classes = [AllowAny]

    class WindowSerializer(serializers.Serializer[Any]):
        window_s = serializers.IntegerField(min_value=0, max_value=MAX_WINDOW_S, default=0)

    @extend_schema(parameters=_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        language = request_language(request)
        query = plan_query_parse(params=request.query_params)
        window = self.WindowSerializer(data=request.query_params)
        window.is_valid(raise_exception=True)
        window_s = window.validated_data["window_s"]
        if window_s and query.arrive_by:
            raise ApiError(
                "conflicting_parameters",
                "window_s (a range of departures) goes with depart_at, not arrive_by.",
                details={"parameters": ["window_s", "arrive_by"]},
            )
        body = plan_itineraries(query=query, language=language, window_s=window_s)
        plan_request_record(query=query, body=body)
        return Response(body)
