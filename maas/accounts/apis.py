"""Auth, own-profile, consent and operator API-key endpoints."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from maas.accounts.models import ApiKey, Language, Role, User, VisitorType
from maas.accounts.rights import user_data_export, user_erase
from maas.accounts.selectors import api_key_get, api_key_list
from maas.accounts.services import (
    api_key_create,
    api_key_revoke,
    user_consent_update,
    user_create,
    user_profile_update,
)
from maas.core.errors import ApiError, django_validation_error
from maas.core.permissions import (
    IsOperatorMember,
    IsPassenger,
    IsPerson,
    operator_scope_get,
)
from operators.models import Operator


def request_person(request: Request) -> User:
    """The signed-in person making the request (the permission classes ran before)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


class UserOutputSerializer(serializers.ModelSerializer[User]):
    operator: serializers.SlugRelatedField[Operator] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "email",
            "role",
            "operator",
            "preferred_language",
            "visitor_type",
        )


class RegisterApi(APIView):
    """Create a passenger account."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(write_only=True)
        email = serializers.EmailField(required=False, default="")
        preferred_language = serializers.ChoiceField(
            choices=Language.choices, required=False, default=Language.JA
        )

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if User.objects.filter(username__iexact=data.validated_data["username"]).exists():
            raise ApiError("username_taken", "That username is already taken.", status_code=409)
        try:
            user = user_create(role=Role.PASSENGER, **data.validated_data)
        except DjangoValidationError as exc:
            raise django_validation_error(exc) from exc
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenApi(TokenObtainPairView):
    """`{username, password}` -> `{access, refresh}`."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"


class TokenRefreshApi(TokenRefreshView):
    """`{refresh}` -> `{access}`."""


class MeApi(APIView):
    """The caller's own profile."""

    permission_classes = [IsPerson]

    class InputSerializer(serializers.Serializer[Any]):
        email = serializers.EmailField(required=False)
        preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)
        visitor_type = serializers.ChoiceField(choices=VisitorType.choices, required=False)

    @extend_schema(responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request_person(request)).data)

    @extend_schema(request=InputSerializer, responses=UserOutputSerializer)
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = user_profile_update(
                user=request_person(request),
                email=data.validated_data.get("email"),
                preferred_language=data.validated_data.get("preferred_language"),
                visitor_type=data.validated_data.get("visitor_type"),
            )
        except DjangoValidationError as exc:
            raise django_validation_error(exc) from exc
        return Response(UserOutputSerializer(user).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        """Erase the caller's personal data (passengers; staff accounts are closed by an
        admin). Bookings and ledger rows stay for the books, pseudonymised; 204."""
        user = request_person(request)
        if user.role != Role.PASSENGER:
            raise ApiError(
                "erasure_not_allowed",
                "Only a passenger account can erase itself; ask an admin to close staff accounts.",
                status_code=403,
            )
        user_erase(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportApi(APIView):
    """Everything held about the caller (profile, consent, bookings with legs and tickets,
    offers, wallet entries, ticket validations, research id while opted in)."""

    permission_classes = [IsPassenger]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(user_data_export(user=request_person(request)))


class ConsentApi(APIView):
    """The passenger's opt-in research consent."""

    permission_classes = [IsPassenger]

    class InputSerializer(serializers.Serializer[Any]):
        share_usage_research = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer[Any]):
        share_usage_research = serializers.BooleanField()
        updated_at = serializers.DateTimeField(source="consent_updated_at", allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(request.user).data)

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_consent_update(
            user=request_person(request),
            share_usage_research=data.validated_data["share_usage_research"],
        )
        return Response(self.OutputSerializer(user).data)


class ApiKeyOutputSerializer(serializers.ModelSerializer[ApiKey]):
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = ApiKey
        fields = ("id", "name", "prefix", "active", "created_at", "revoked_at", "last_used_at")


class ApiKeyListCreateApi(APIView):
    """An operator's API keys. Only people (operator staff, admins) manage keys, so a
    leaked key cannot mint new ones."""

    permission_classes = [IsOperatorMember]

    class InputSerializer(serializers.Serializer[Any]):
        name = serializers.CharField(max_length=100, required=False, default="")

    @extend_schema(responses=ApiKeyOutputSerializer(many=True))
    def get(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        return Response(ApiKeyOutputSerializer(api_key_list(operator=operator), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ApiKeyOutputSerializer})
    def post(self, request: Request, slug: str) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_key_create(
            operator=operator, name=data.validated_data["name"], created_by=request_person(request)
        )
        body = dict(ApiKeyOutputSerializer(issued.api_key).data)
        body["key"] = issued.key  # shown once
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    permission_classes = [IsOperatorMember]

    @extend_schema(request=None, responses=ApiKeyOutputSerializer)
    def delete(self, request: Request, slug: str, key_id: int) -> Response:
        operator = operator_scope_get(request=request, slug=slug)
        try:
            api_key = api_key_get(operator=operator, key_id=key_id)
        except ApiKey.DoesNotExist as exc:
            raise NotFound(f"No API key {key_id} for operator {slug!r}.") from exc
        return Response(ApiKeyOutputSerializer(api_key_revoke(api_key=api_key)).data)
