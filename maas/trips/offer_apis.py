"""`POST /api/v1/offers`, `GET /api/v1/offers/{id}` (API.md "Planning") and the pass /
bundle product endpoints (operators: own products; city staff and admins: city products)."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError
from maas.core.i18n import request_language
from maas.core.idempotency import fingerprint_of, idempotent_create
from maas.core.permissions import IsCityAnalyst, IsOperatorMember, operator_scope_get
from maas.trips.models import Product, RiderCategory
from maas.trips.offers import offer_json, offers_create
from maas.trips.params import plan_query_parse
from maas.trips.products import product_create, product_delete, product_update
from maas.trips.selectors import OfferUnavailable, offer_get, product_list, product_public_list
from operators.models import Operator

# ---------------------------------------------------------------------------- offers


class OfferCreateApi(APIView):
    """Priced, frozen offers for the planned itineraries (anonymous allowed; an offer
    created by a signed-in person is theirs alone)."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer[Any]):
        itinerary_index = serializers.IntegerField(required=False, min_value=0, max_value=19)
        add_ons = serializers.BooleanField(required=False, default=False)
        rider_category = serializers.ChoiceField(
            choices=RiderCategory.choices, required=False, default=RiderCategory.ADULT
        )

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ApiError("malformed_request", "The body must be a JSON object.")
        extra = self.InputSerializer(data=request.data)
        extra.is_valid(raise_exception=True)
        query = plan_query_parse(params=request.data)
        language = request_language(request)

        def create() -> Response:
            body = offers_create(
                query=query,
                language=language,
                rider_category=extra.validated_data["rider_category"],
                itinerary_index=extra.validated_data.get("itinerary_index"),
                with_add_ons=extra.validated_data["add_ons"],
                owner=request.user,
            )
            return Response(body, status=status.HTTP_201_CREATED)

        fingerprint = fingerprint_of(
            "offers", language, json.dumps(request.data, sort_keys=True, default=str)
        )
        return idempotent_create(request=request, fingerprint=fingerprint, create=create)


class OfferDetailApi(APIView):
    """The frozen offer: 404 unknown (or another passenger's), 409 `offer_expired`."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, offer_id: str) -> Response:
        try:
            offer = offer_get(offer_id=offer_id, user=request.user)
        except OfferUnavailable as exc:
            raise exc.as_api_error() from None
        return Response(offer_json(offer))


# ---------------------------------------------------------------------------- products


class MoneySerializer(serializers.Serializer[Any]):
    amount = serializers.IntegerField(min_value=0)
    currency = serializers.CharField(min_length=3, max_length=3)


class AreaSerializer(serializers.Serializer[Any]):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    radius_m = serializers.IntegerField(min_value=1, max_value=200_000)


class ProductInputSerializer(serializers.Serializer[Any]):
    code = serializers.SlugField(max_length=63)
    name_ja = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    price = MoneySerializer()
    rider_category = serializers.ChoiceField(
        choices=RiderCategory.choices, required=False, default=RiderCategory.ADULT
    )
    duration_s = serializers.IntegerField(
        min_value=60, max_value=366 * 86400, required=False, allow_null=True
    )
    calendar_days = serializers.IntegerField(
        min_value=1, max_value=366, required=False, allow_null=True
    )
    covered_operators = serializers.ListField(
        child=serializers.SlugField(), required=False, max_length=50
    )
    route_ids = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, max_length=500
    )
    area = AreaSerializer(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False, default=True)


def _fields(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in (
        "code",
        "name_ja",
        "name_en",
        "rider_category",
        "duration_s",
        "calendar_days",
        "route_ids",
        "is_active",
    ):
        if name in data:
            fields[name] = data[name]
    if "price" in data:
        fields["price_amount"] = data["price"]["amount"]
        fields["currency"] = data["price"]["currency"].upper()
    if "area" in data:
        area = data["area"] or {}
        fields["area_lat"] = area.get("lat")
        fields["area_lon"] = area.get("lon")
        fields["area_radius_m"] = area.get("radius_m")
    if not partial:
        fields.setdefault("currency", "JPY")
    return fields


def _coverage(slugs: list[str] | None) -> list[Operator] | None:
    if slugs is None:
        return None
    found = {o.slug: o for o in Operator.objects.filter(slug__in=slugs)}
    missing = sorted(set(slugs) - set(found))
    if missing:
        raise ApiError(
            "invalid_request",
            f"Invalid request: unknown operators {', '.join(missing)}.",
            details={"fields": {"covered_operators": missing}},
        )
    return [found[s] for s in dict.fromkeys(slugs)]


def product_json(product: Product, language: str) -> dict[str, Any]:
    area = None
    if product.area_radius_m is not None:
        area = {"lat": product.area_lat, "lon": product.area_lon, "radius_m": product.area_radius_m}
    return {
        "id": product.pk,
        "operator": product.operator.slug if product.operator else None,
        "code": product.code,
        "name": product.name_in(language),
        "name_ja": product.name_ja,
        "name_en": product.name_en,
        "price": {"amount": product.price_amount, "currency": product.currency},
        "rider_category": product.rider_category,
        "duration_s": product.duration_s,
        "calendar_days": product.calendar_days,
        "covered_operators": sorted(o.slug for o in product.covered_operators.all()),
        "route_ids": product.route_ids,
        "area": area,
        "is_active": product.is_active,
    }


class ProductPublicListApi(APIView):
    """Active passes and bundles (public)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        language = request_language(request)
        return Response({"products": [product_json(p, language) for p in product_public_list()]})


class _ProductScope:
    """Operator staff act for their own operator (admins for any); city staff and admins
    for the city's products."""

    city = False

    def owner(self, request: Request, slug: str | None) -> Operator | None:
        if self.city:
            return None
        assert slug is not None  # noqa: S101 - the URL has it
        return operator_scope_get(request=request, slug=slug)

    def product(self, request: Request, slug: str | None, product_id: int) -> Product:
        owner = self.owner(request, slug)
        product = product_list(operator=owner, city=self.city).filter(pk=product_id).first()
        if product is None:
            raise NotFound(f"No product {product_id}.")
        return product


class OperatorProductListApi(_ProductScope, APIView):
    permission_classes = [IsOperatorMember]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str | None = None) -> Response:
        owner = self.owner(request, slug)
        language = request_language(request)
        products = product_list(operator=owner, city=self.city)
        return Response({"products": [product_json(p, language) for p in products]})

    @extend_schema(request=ProductInputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, slug: str | None = None) -> Response:
        owner = self.owner(request, slug)
        data = ProductInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slugs = data.validated_data.get("covered_operators")
        if slugs is None and owner is not None:
            slugs = [owner.slug]
        coverage = _coverage(slugs or [])
        assert coverage is not None  # noqa: S101
        product = product_create(
            owner=owner, coverage=coverage, fields=_fields(data.validated_data, partial=False)
        )
        return Response(product_json(product, request_language(request)), status=201)


class OperatorProductDetailApi(_ProductScope, APIView):
    permission_classes = [IsOperatorMember]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, product_id: int, slug: str | None = None) -> Response:
        product = self.product(request, slug, product_id)
        return Response(product_json(product, request_language(request)))

    @extend_schema(request=ProductInputSerializer, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, product_id: int, slug: str | None = None) -> Response:
        product = self.product(request, slug, product_id)
        data = ProductInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        product = product_update(
            product=product,
            coverage=_coverage(data.validated_data.get("covered_operators")),
            fields=_fields(data.validated_data, partial=True),
        )
        return Response(product_json(product, request_language(request)))

    def delete(self, request: Request, product_id: int, slug: str | None = None) -> Response:
        product_delete(product=self.product(request, slug, product_id))
        return Response(status=204)


class CityProductListApi(OperatorProductListApi):
    permission_classes = [IsCityAnalyst]
    city = True


class CityProductDetailApi(OperatorProductDetailApi):
    permission_classes = [IsCityAnalyst]
    city = True
