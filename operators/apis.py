"""Operator endpoints: the public list, admin creation, and an operator's own profile."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
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
from maas.core.idempotency import fingerprint_of, idempotent_create
from maas.core.pagination import LinkHeaderCursorPagination
from maas.core.permissions import (
    IsAdmin,
    IsOperatorMember,
    IsOperatorOrApiKey,
    operator_scope_get,
)
from operators.models import FeedKind, FeedStatus, FeedVersion, Mode, Operator
from operators.selectors import (
    active_feed_version_ids,
    feed_version_get,
    feed_version_list,
    operator_get,
    operator_list,
)
from operators.services import (
    FeedVersionStateError,
    feed_version_activate,
    feed_version_create,
    operator_create,
    operator_update,
)


class OperatorPublicSerializer(serializers.Serializer[Operator]):
    slug = serializers.CharField()
    name = serializers.SerializerMethodField()
    modes = serializers.ListField(child=serializers.CharField())
    active_feed_versions = serializers.SerializerMethodField()

    def get_name(self, operator: Operator) -> str:
        return operator.name_in(self.context.get("language", "ja"))

    def get_active_feed_versions(self, operator: Operator) -> list[int]:
        by_operator: dict[int, list[int]] | None = self.context.get("active_versions")
        if by_operator is None:
            by_operator = active_feed_version_ids(operator_ids=[operator.pk])
        return by_operator.get(operator.pk, [])


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
        operators = list(page or [])
        active = active_feed_version_ids(operator_ids=[o.pk for o in operators])
        data = OperatorPublicSerializer(
            operators,  # type: ignore[arg-type]
            many=True,
            context={"language": request_language(request), "active_versions": active},
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


# ---------------------------------------------------------------------------- feeds


class FeedVersionSerializer(serializers.ModelSerializer[FeedVersion]):
    report = serializers.SerializerMethodField()

    class Meta:
        model = FeedVersion
        fields = (
            "id",
            "kind",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "activated_at",
            "counts",
            "report",
            "original_filename",
            "size_bytes",
            "sha256",
            "source_url",
            "meta",
        )

    def get_report(self, feed_version: FeedVersion) -> dict[str, Any]:
        report = dict(feed_version.report or {})
        report.setdefault("errors", [])
        report.setdefault("warnings", [])
        return report


class FeedVersionListCreateApi(APIView):
    """An operator's feed versions; upload a new one (multipart zip, or a GBFS URL)."""

    permission_classes = [IsOperatorOrApiKey]
    pagination_class = LinkHeaderCursorPagination

    class UploadSerializer(serializers.Serializer[Any]):
        kind = serializers.ChoiceField(choices=FeedKind.choices)
        file = serializers.FileField(required=False, allow_empty_file=True)
        url = serializers.URLField(required=False, max_length=1000)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs["kind"] == FeedKind.GBFS:
                if "file" in attrs or not attrs.get("url"):
                    raise serializers.ValidationError(
                        {"url": "a GBFS feed is registered by its gbfs.json discovery URL"}
                    )
            elif "file" not in attrs:
                raise serializers.ValidationError(
                    {"file": f"a {attrs['kind']} feed is uploaded as a zip file"}
                )
            elif "url" in attrs:
                raise serializers.ValidationError({"url": "give a file or a URL, not both"})
            return attrs

    class AcceptedSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        status = serializers.CharField()
        kind = serializers.CharField()

    @extend_schema(responses=FeedVersionSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        paginator = self.pagination_class()
        paginator.ordering = "-id"
        page = paginator.paginate_queryset(feed_version_list(operator=operator), request, self)
        return paginator.get_paginated_response(FeedVersionSerializer(page or [], many=True).data)

    @extend_schema(request=UploadSerializer, responses={202: AcceptedSerializer})
    def post(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        limit = settings.FEED_UPLOAD_MAX_BYTES
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit:
            raise ApiError(
                "payload_too_large",
                f"The upload is {declared} bytes; the limit is {limit} bytes.",
                status_code=413,
                details={"limit_bytes": limit},
            )
        data = self.UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("file")
        if upload is not None and upload.size > limit:
            raise ApiError(
                "payload_too_large",
                f"The file is {upload.size} bytes; the limit is {limit} bytes.",
                status_code=413,
                details={"limit_bytes": limit},
            )

        def create() -> Response:
            created_by = request.user.pk if isinstance(request.user.pk, int) else None
            feed_version = feed_version_create(
                operator=operator,
                kind=data.validated_data["kind"],
                upload=upload,
                original_filename=upload.name if upload is not None else "",
                source_url=data.validated_data.get("url", ""),
                created_by_id=created_by,
            )
            body = {
                "id": feed_version.pk,
                "status": FeedStatus.QUEUED.value,
                "kind": feed_version.kind,
            }
            return Response(body, status=status.HTTP_202_ACCEPTED)

        fingerprint = fingerprint_of(
            slug,
            data.validated_data["kind"],
            data.validated_data.get("url", ""),
            _file_digest(upload) if upload is not None else "",
        )
        return idempotent_create(request=request, fingerprint=fingerprint, create=create)


def _file_digest(upload: Any) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


class FeedVersionDetailApi(APIView):
    permission_classes = [IsOperatorOrApiKey]

    @extend_schema(responses=FeedVersionSerializer)
    def get(self, request: Request, slug: str, feed_version_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        try:
            feed_version = feed_version_get(operator=operator, feed_version_id=feed_version_id)
        except FeedVersion.DoesNotExist as exc:
            raise NotFound(f"No feed version {feed_version_id} for operator {slug!r}.") from exc
        return Response(FeedVersionSerializer(feed_version).data)


class FeedVersionActivateApi(APIView):
    """Re-activate a version (the rollback)."""

    permission_classes = [IsOperatorOrApiKey]

    @extend_schema(request=None, responses=FeedVersionSerializer)
    def post(self, request: Request, slug: str, feed_version_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        try:
            feed_version = feed_version_get(operator=operator, feed_version_id=feed_version_id)
        except FeedVersion.DoesNotExist as exc:
            raise NotFound(f"No feed version {feed_version_id} for operator {slug!r}.") from exc
        try:
            feed_version = feed_version_activate(feed_version=feed_version)
        except FeedVersionStateError as exc:
            raise ApiError("invalid_state", str(exc), status_code=409) from exc
        return Response(FeedVersionSerializer(feed_version).data)
