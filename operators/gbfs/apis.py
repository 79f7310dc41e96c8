"""GBFS endpoints: the push of one file by an operator, and live stations near a point."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError
from maas.core.permissions import IsOperatorOrApiKey, operator_scope_get
from operators.gbfs.selectors import station_list_near
from operators.gbfs.services import GbfsNoSystemError, GbfsPushError, gbfs_push
from operators.nearby import NearField


class NearInputSerializer(serializers.Serializer[Any]):
    near = NearField()
    radius_m = serializers.IntegerField(min_value=1, max_value=50_000, default=1000)
    limit = serializers.IntegerField(min_value=1, max_value=500, default=50)


class GbfsPushApi(APIView):
    """An operator pushes one GBFS file (the body) instead of being polled. The file is
    named by `?file=` or recognised from its content."""

    permission_classes = [IsOperatorOrApiKey]

    class OutputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "GbfsPushResult"  # a unique OpenAPI component name

        file = serializers.CharField()
        changed = serializers.IntegerField()
        feed_version = serializers.IntegerField()
        warnings = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("file", str, description="e.g. station_status")],
        responses={200: OutputSerializer, 201: OutputSerializer},
    )
    def post(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        limit = settings.GBFS_MAX_FILE_BYTES
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit:
            raise ApiError(
                "payload_too_large",
                f"The file is {declared} bytes; the limit is {limit} bytes.",
                status_code=413,
                details={"limit_bytes": limit},
            )
        created_by = request.user.pk if isinstance(request.user.pk, int) else None
        try:
            result = gbfs_push(
                operator=operator,
                body=request.body,
                file_name=request.query_params.get("file") or None,
                created_by_id=created_by,
            )
        except GbfsPushError as exc:
            raise ApiError(
                exc.code,
                f"{exc.field}: {exc.message}",
                details={"field": exc.field, "issues": [i.as_report_item() for i in exc.issues]},
            ) from exc
        except GbfsNoSystemError as exc:
            raise ApiError("no_active_gbfs_system", str(exc), status_code=409) from exc
        body = self.OutputSerializer(
            {
                "file": result.file,
                "changed": result.changed,
                "feed_version": result.feed_version_id,
                "warnings": result.warnings,
            }
        ).data
        code = status.HTTP_201_CREATED if result.registered else status.HTTP_200_OK
        return Response(body, status=code)


class BikeshareStationListApi(APIView):
    """Bike-share stations near a point with live availability, nearest first."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "BikeshareStation"  # a unique OpenAPI component name

        id = serializers.CharField()
        name = serializers.CharField()
        lat = serializers.FloatField()
        lon = serializers.FloatField()
        distance_m = serializers.IntegerField()
        capacity = serializers.IntegerField(allow_null=True)
        bikes_available = serializers.IntegerField(allow_null=True)
        docks_available = serializers.IntegerField(allow_null=True)
        is_renting = serializers.BooleanField(allow_null=True)
        is_returning = serializers.BooleanField(allow_null=True)
        last_reported = serializers.DateTimeField(allow_null=True)
        stale = serializers.BooleanField()

    @extend_schema(parameters=[NearInputSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        data = NearInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        lat, lon = data.validated_data["near"]
        stations = station_list_near(
            lat=lat,
            lon=lon,
            radius_m=data.validated_data["radius_m"],
            limit=data.validated_data["limit"],
        )
        return Response(self.OutputSerializer(stations, many=True).data)
