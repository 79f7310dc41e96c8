"""City statistics endpoints (city role; aggregates only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.permissions import IsCityAnalyst
from maas.platform.selectors import passenger_count_by


class StatsAccountsApi(APIView):
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
