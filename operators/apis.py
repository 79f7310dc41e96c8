"""Operator endpoints: the public list, admin creation, and an operator's own profile."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from maas.core.errors import ApiError, django_validation_error
from maas.core.i18n import request_language
from maas.core.pagination import LinkHeaderCursorPagination
from maas.core.permissions import IsAdmin, IsOperatorMember, operator_scope_get
from operators.models import Mode, Operator
from operators.selectors import operator_get, operator_list
from operators.services import operator_create, operator_update


class OperatorPublicSerializer(serializers.Serializer[Operator]):
    slug = serializers.CharField()
    name = serializers.SerializerMethodField()
    modes = serializers.ListField(child=serializers.CharField())
    active_feed_versions = serializers.SerializerMethodField()

    def get_name(self, operator: Operator) -> str:
        return operator.name_in(self.context.get("language", "ja"))

    def get_active_feed_versions(self, operator: Operator) -> list[int]:
        # Filled by the feed issue (FeedVersion); until then no operator has a version.
        ids = getattr(operator, "active_feed_version_ids", None)
        return list(ids) if ids is not None else []


class OperatorDetailSerializer(OperatorPublicSerializer):
    name_ja = serializers.CharField()
    name_en = serializers.CharField()
    time_zone = serializers.CharField()
    contact_email = serializers.EmailField()
    contact_phone = serializers.CharField()
    website = serializers.URLField()


class OperatorWriteSerializer(serializers.Serializer[Any]):
    name_ja = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    modes = serializers.ListField(
        child=serializers.ChoiceField(choices=Mode.choices), required=False
    )
    time_zone = serializers.CharField(max_length=64, required=False)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)


class OperatorListCreateApi(APIView):
    """GET: every operator (public). POST: create one (admin)."""

    pagination_class = LinkHeaderCursorPagination

    class CreateSerializer(OperatorWriteSerializer):
        slug = serializers.CharField(max_length=63)

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [IsAdmin()]
        return [AllowAny()]

    @extend_schema(responses=OperatorPublicSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        paginator.ordering = "slug"
        page = paginator.paginate_queryset(operator_list(), request, view=self)
        data = OperatorPublicSerializer(
            page,  # type: ignore[arg-type]
            many=True,
            context={"language": request_language(request)},
        ).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=CreateSerializer, responses={201: OperatorDetailSerializer})
    def post(self, request: Request) -> Response:
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if Operator.objects.filter(slug=data.validated_data["slug"]).exists():
            raise ApiError("duplicate_key", "An operator with that slug exists.", status_code=409)
        try:
            operator = operator_create(**data.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error(exc) from exc
        body = OperatorDetailSerializer(operator, context={"language": request_language(request)})
        return Response(body.data, status=status.HTTP_201_CREATED)


class OperatorDetailApi(APIView):
    """GET: one operator (public). PATCH: its staff update its profile."""

    class UpdateSerializer(OperatorWriteSerializer):
        name_ja = serializers.CharField(max_length=200, required=False)

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "PATCH":
            return [IsOperatorMember()]
        return [AllowAny()]

    @extend_schema(responses=OperatorDetailSerializer)
    def get(self, request: Request, slug: str) -> Response:
        try:
            operator = operator_get(slug=slug)
        except Operator.DoesNotExist as exc:
            raise NotFound(f"No operator {slug!r}.") from exc
        context = {"language": request_language(request)}
        return Response(OperatorDetailSerializer(operator, context=context).data)

    @extend_schema(request=UpdateSerializer, responses=OperatorDetailSerializer)
    def patch(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            operator = operator_update(operator=operator, data=data.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error(exc) from exc
        context = {"language": request_language(request)}
        return Response(OperatorDetailSerializer(operator, context=context).data)
