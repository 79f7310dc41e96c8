"""City statistics endpoints (city role; aggregates only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError
from maas.core.pagination import LinkHeaderCursorPagination
from maas.core.permissions import IsAdmin, IsCityAnalyst
from maas.core.renderers import CsvRenderer
from maas.platform.audit import StatsPullAuditMixin, stats_pull_list
from maas.platform.selectors import passenger_count_by
from maas.platform.stats import (
    ONDEMAND_GROUPS,
    RIDERSHIP_GROUPS,
    StatsTable,
    bikeshare_table,
    od_table,
    ondemand_table,
    open_data_tables,
    ridership_table,
)
from maas.platform.stats_formats import (
    FORMATS,
    NotSpatialError,
    datapackage_files,
    datapackage_zip,
    table_csv,
    table_geojson,
    table_json,
)


class StatsAccountsApi(StatsPullAuditMixin, APIView):
    """Registered passengers by preferred language or registration month (k-anonymous)."""

    permission_classes = [IsCityAnalyst]

    class InputSerializer(serializers.Serializer[Any]):
        group_by = serializers.ChoiceField(choices=["language", "month"], default="language")

    class CellSerializer(serializers.Serializer[Any]):
        key = serializers.CharField()
        count = serializers.IntegerField(allow_null=True)
        suppressed = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer[Any]):
        k = serializers.IntegerField()
        group_by = serializers.CharField()
        total = serializers.IntegerField(allow_null=True)
        cells = serializers.ListField(child=serializers.DictField())

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        group_by = params.validated_data["group_by"]
        table = passenger_count_by(group_by=group_by, k=settings.STATS_K)
        return Response(
            {
                "k": table.k,
                "group_by": group_by,
                "total": table.total,
                "cells": self.CellSerializer(table.cells, many=True).data,
            }
        )


# ------------------------------------------------------------------ aggregates (issue 8)
# Stats endpoints answer `format=json|csv|geojson`. DRF reads `format` itself (URL format
# override), so the csv and geojson renderers are registered on these views; the view
# builds the final body and the renderer only encodes it.
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


class GeoJsonRenderer(JSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


class _StatsApi(StatsPullAuditMixin, APIView):
    permission_classes = [IsCityAnalyst]
    renderer_classes = [JSONRenderer, CsvRenderer, GeoJsonRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        fmt = request.query_params.get("format")
        if fmt is not None and fmt not in FORMATS and not force:
            raise ApiError(
                "invalid_format",
                f"format must be one of {', '.join(FORMATS)}.",
                details={"format": fmt},
            )
        return super().perform_content_negotiation(request, force=force)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if response.status_code >= 400:
            # Errors are always the JSON error body, whatever format was asked for.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    def render_table(self, request: Request, table: StatsTable, window: dict[str, Any]) -> Response:
        self.row_count = len(table.rows)
        fmt = request.query_params.get("format", "json")
        headers = {"X-Stats-K": str(table.k)}
        if fmt == "csv":
            headers["Content-Disposition"] = f'attachment; filename="{table.name}.csv"'
            return Response(table_csv(table), headers=headers)
        if fmt == "geojson":
            try:
                return Response(table_geojson(table), headers=headers)
            except NotSpatialError:
                raise ApiError(
                    "format_not_spatial",
                    f"{table.name} has no geometry: ask for format=json or format=csv "
                    "(geojson serves the od and bikeshare statistics).",
                    details={"format": fmt},
                ) from None
        return Response(table_json(table, **window), headers=headers)


# No MaaS data predates this; earlier dates are typos (and date arithmetic near year 1
# would overflow).
_EARLIEST = dt.date(2000, 1, 1)


class _WindowSerializer(serializers.Serializer[Any]):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate_date_from(self, value: dt.date) -> dt.date:
        if value < _EARLIEST:
            raise serializers.ValidationError(f"Dates start at {_EARLIEST.isoformat()}.")
        return value

    def validate_date_to(self, value: dt.date) -> dt.date:
        return self.validate_date_from(value)

    format = serializers.ChoiceField(choices=FORMATS, default="json")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        date_to = attrs.get("date_to") or timezone.localdate()
        date_from = attrs.get("date_from") or date_to - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if date_from > date_to:
            raise serializers.ValidationError({"date_from": "date_from is after date_to."})
        if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"date_to": f"The range may span at most {MAX_RANGE_DAYS} days."}
            )
        attrs["date_from"], attrs["date_to"] = date_from, date_to
        return attrs


def _window(data: dict[str, Any]) -> dict[str, Any]:
    return {"date_from": data["date_from"], "date_to": data["date_to"]}


class StatsRidershipApi(_StatsApi):
    """Booked trips (or validations) by operator, route, stop, mode, hour, day or visitor
    type; k-anonymous."""

    class InputSerializer(_WindowSerializer):
        group_by = serializers.ChoiceField(choices=RIDERSHIP_GROUPS, default="operator")
        measure = serializers.ChoiceField(choices=["trips", "validations"], default="trips")

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        table = ridership_table(
            **_window(data), group_by=data["group_by"], measure=data["measure"], k=settings.STATS_K
        )
        return self.render_table(request, table, _window(data))


class StatsOdApi(_StatsApi):
    """Origin-destination trips by JIS X 0410 grid square; k-anonymous (two-way)."""

    class InputSerializer(_WindowSerializer):
        mesh_level = serializers.ChoiceField(choices=[1, 2, 3, 4], default=3)
        mode = serializers.CharField(required=False, max_length=32)
        hour = serializers.IntegerField(required=False, min_value=0, max_value=23)

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        table = od_table(
            **_window(data),
            level=int(data["mesh_level"]),
            mode=data.get("mode"),
            hour=data.get("hour"),
            k=settings.STATS_K,
        )
        return self.render_table(request, table, _window(data))


class StatsBikeshareApi(_StatsApi):
    """Bike-share pick-ups, returns and occupancy per station; k-anonymous."""

    class InputSerializer(_WindowSerializer):
        pass

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        table = bikeshare_table(**_window(data), k=settings.STATS_K)
        return self.render_table(request, table, _window(data))


class StatsOnDemandApi(_StatsApi):
    """On-demand rides, passengers, seat occupancy and refused requests; k-anonymous."""

    class InputSerializer(_WindowSerializer):
        group_by = serializers.ChoiceField(choices=ONDEMAND_GROUPS, default="operator")

    @extend_schema(parameters=[InputSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        table = ondemand_table(**_window(data), group_by=data["group_by"], k=settings.STATS_K)
        return self.render_table(request, table, _window(data))


class StatsDatapackageApi(StatsPullAuditMixin, APIView):
    """The open-data export: a zip of datapackage.json and one CSV per k-anonymous table."""

    permission_classes = [IsCityAnalyst]

    class InputSerializer(serializers.Serializer[Any]):
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            return _WindowSerializer().validate(attrs)

    @extend_schema(parameters=[InputSerializer], responses={(200, "application/zip"): bytes})
    def get(self, request: Request) -> HttpResponse:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        window = _window(params.validated_data)
        tables = open_data_tables(**window, k=settings.STATS_K)
        self.row_count = sum(len(t.rows) for t in tables)
        body = datapackage_zip(datapackage_files(tables, **window))
        response = HttpResponse(body, content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="maas-usage-statistics.zip"'
        response["X-Stats-K"] = str(settings.STATS_K)
        return response


class StatsAuditApi(APIView):
    """The audit log of statistics pulls (admin only), newest first."""

    permission_classes = [IsAdmin]

    class Pagination(LinkHeaderCursorPagination):
        ordering = "-id"

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        paginator = self.Pagination()
        page = paginator.paginate_queryset(stats_pull_list(), request, view=self)
        return paginator.get_paginated_response(
            [
                {
                    "id": pull.pk,
                    "username": pull.username,
                    "role": pull.role,
                    "endpoint": pull.endpoint,
                    "parameters": pull.parameters,
                    "status": pull.status_code,
                    "row_count": pull.row_count,
                    "at": pull.at.isoformat(),
                }
                for pull in page or []
            ]
        )
