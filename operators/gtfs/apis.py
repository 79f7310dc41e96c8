"""Public read endpoints served from the GTFS tables of ACTIVE feed versions (API.md,
"Places"), and the GTFS-JP extras of an operator's active feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError
from maas.core.i18n import request_language
from operators.gtfs import models as m
from operators.gtfs.selectors import (
    departures_list,
    feed_time_zone,
    gtfs_extras_get,
    services_on,
    stop_get,
    stop_search,
)
from operators.models import Operator

MAX_RADIUS_M = 5000
MAX_LIMIT = 100


def _lat_lon(value: str, *, name: str) -> tuple[float, float]:
    try:
        lat_text, lon_text = value.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError as exc:
        raise ApiError(
            "invalid_coordinates",
            f"{name} must be 'lat,lon' in decimal degrees; got {value!r}.",
            details={"field": name},
        ) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ApiError(
            "invalid_coordinates",
            f"{name}={value!r} is outside the globe (latitude ±90, longitude ±180).",
            details={"field": name},
        )
    return lat, lon


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(
            "invalid_request", f"{name} must be an integer; got {raw!r}.", details={"field": name}
        ) from exc
    if not low <= value <= high:
        raise ApiError(
            "invalid_request",
            f"{name} must be between {low} and {high}; got {value}.",
            details={"field": name},
        )
    return value


class StopOutputSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    operator = serializers.CharField()
    wheelchair_boarding = serializers.IntegerField(allow_null=True)
    distance_m = serializers.IntegerField(allow_null=True)


class StopSearchApi(APIView):
    """Stops by name (any language of the feed's translations) and/or near a point."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="part of the stop name, any language"),
            OpenApiParameter("near", str, description="lat,lon"),
            OpenApiParameter("radius_m", int, description="default 500, at most 5000"),
            OpenApiParameter("limit", int, description="default 20, at most 100"),
            OpenApiParameter("lang", str, description="ja, en or ja-Hrkt"),
        ],
        responses=StopOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        language = request_language(request)
        q = request.query_params.get("q", "").strip()
        near_text = request.query_params.get("near", "").strip()
        if not q and not near_text:
            raise ApiError("invalid_request", "Give q (a name) or near (lat,lon), or both.")
        near = _lat_lon(near_text, name="near") if near_text else None
        radius_m = _int_param(request, "radius_m", 500, 1, MAX_RADIUS_M)
        limit = _int_param(request, "limit", 20, 1, MAX_LIMIT)
        hits = stop_search(q=q, near=near, radius_m=radius_m, language=language, limit=limit)
        return Response(StopOutputSerializer(hits, many=True).data)


class DepartureOutputSerializer(serializers.Serializer[Any]):
    time = serializers.DateTimeField()
    trip_id = serializers.CharField()
    headsign = serializers.CharField()
    route = serializers.DictField()


class StopDeparturesApi(APIView):
    """The next departures from a stop (or a station's platforms)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("at", str, description="ISO 8601 time (default now)"),
            OpenApiParameter("limit", int, description="default 10, at most 100"),
            OpenApiParameter("lang", str, description="ja, en or ja-Hrkt"),
        ],
        responses=DepartureOutputSerializer(many=True),
    )
    def get(self, request: Request, stop_ref: str) -> Response:
        language = request_language(request)
        limit = _int_param(request, "limit", 10, 1, MAX_LIMIT)
        try:
            stop, operator = stop_get(ref=stop_ref)
        except m.Stop.DoesNotExist as exc:
            raise NotFound(f"No stop {stop_ref!r} in any active feed.") from exc
        tz = feed_time_zone(stop.feed_version)
        at = self._at(request, tz)
        departures = departures_list(stop=stop, at=at, limit=limit, language=language)
        body: dict[str, Any] = {
            "stop": {
                "id": stop_ref,
                "name": stop.stop_name,
                "operator": operator.slug,
                "time_zone": str(tz),
            },
            "at": at.astimezone(tz).isoformat(),
            "departures": [
                {
                    "time": d.time.isoformat(),
                    "trip_id": f"{operator.slug}:{d.trip_id}",
                    "headsign": d.headsign,
                    "route": {
                        "id": f"{operator.slug}:{d.route_id}",
                        "short_name": d.route_short_name,
                        "long_name": d.route_long_name,
                        "type": d.route_type,
                    },
                }
                for d in departures
            ],
        }
        period = stop.feed_version.meta.get("service_period")
        day = at.astimezone(tz).date()
        if (
            not departures
            and period
            and not (period["start"] <= day.isoformat() <= period["end"])
            and not services_on(feed_version_id=stop.feed_version_id, day=day)
        ):
            body["notice"] = {
                "code": "date_outside_service_period",
                "message": f"{day.isoformat()} lies outside the feed's service period "
                f"{period['start']} to {period['end']}.",
            }
        return Response(body)

    def _at(self, request: Request, tz: dt.tzinfo) -> dt.datetime:
        raw = request.query_params.get("at", "").strip()
        if not raw:
            return timezone.now()
        try:
            at = parse_datetime(raw.replace(" ", "+"))
        except ValueError:
            at = None
        if at is None:
            raise ApiError(
                "invalid_request",
                f"at must be an ISO 8601 time such as 2025-06-02T08:00:00+09:00; got {raw!r}.",
                details={"field": "at"},
            )
        if at.tzinfo is None:
            at = at.replace(tzinfo=tz)
        return at


class OperatorGtfsApi(APIView):
    """GTFS(-JP) facts of an operator's active GTFS feed: agencies with their agency_jp
    rows, offices (office_jp), pattern count, feed_info and service period."""

    permission_classes = [AllowAny]

    def get(self, request: Request, slug: str) -> Response:
        try:
            operator = Operator.objects.get(slug=slug)
        except Operator.DoesNotExist as exc:
            raise NotFound(f"No operator {slug!r}.") from exc
        extras = gtfs_extras_get(operator=operator)
        if extras is None:
            raise NotFound(f"Operator {slug!r} has no active GTFS feed.")
        return Response(extras)
