"""Tourism endpoints: attractions (points of interest) near a point."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.i18n import request_language
from operators.nearby import NearField
from operators.tourism.models import Attraction, TicketProduct
from operators.tourism.selectors import attraction_list


class TicketOfferSerializer(serializers.Serializer[Any]):
    id = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    rider_category = serializers.CharField()
    price = serializers.SerializerMethodField()
    partner_operator = serializers.SerializerMethodField()

    def get_id(self, product: TicketProduct) -> str:
        return product.product_id

    def get_name(self, product: TicketProduct) -> str:
        return product.name_in(self.context["language"])

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"amount": {"type": "integer"}, "currency": {"type": "string"}},
        }
    )
    def get_price(self, product: TicketProduct) -> dict[str, Any]:
        return {"amount": product.price_amount, "currency": product.currency}

    def get_partner_operator(self, product: TicketProduct) -> str | None:
        return product.partner_operator_slug or None


class AttractionListApi(APIView):
    """Tourism attractions with opening hours and ticket offers (active versions only)."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer[Any]):
        near = NearField(required=False)
        radius_m = serializers.IntegerField(min_value=1, max_value=100_000, default=5000)
        limit = serializers.IntegerField(min_value=1, max_value=500, default=50)

    class OutputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "Attraction"  # a unique OpenAPI component name

        id = serializers.SerializerMethodField()
        name = serializers.SerializerMethodField()
        name_ja = serializers.CharField()
        name_en = serializers.CharField()
        lat = serializers.FloatField()
        lon = serializers.FloatField()
        category = serializers.CharField()
        url = serializers.CharField()
        operator = serializers.SerializerMethodField()
        distance_m = serializers.SerializerMethodField()
        opening_hours = serializers.JSONField()
        tickets = serializers.SerializerMethodField()

        def get_id(self, attraction: Attraction) -> str:
            return f"{attraction.operator.slug}:{attraction.attraction_id}"

        def get_name(self, attraction: Attraction) -> str:
            return attraction.name_in(self.context["language"])

        def get_operator(self, attraction: Attraction) -> str:
            return attraction.operator.slug

        def get_distance_m(self, attraction: Attraction) -> int | None:
            distances: dict[int, int | None] = self.context["distances"]
            return distances.get(attraction.pk)

        @extend_schema_field(TicketOfferSerializer(many=True))
        def get_tickets(self, attraction: Attraction) -> list[dict[str, Any]]:
            return list(
                TicketOfferSerializer(
                    attraction.products.all(), many=True, context=self.context
                ).data
            )

    @extend_schema(parameters=[InputSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        found = attraction_list(
            near=data.validated_data.get("near"),
            radius_m=data.validated_data["radius_m"],
            limit=data.validated_data["limit"],
        )
        context = {
            "language": request_language(request),
            "distances": {a.pk: d for a, d in found},
        }
        attractions = [a for a, _ in found]
        return Response(self.OutputSerializer(attractions, many=True, context=context).data)
