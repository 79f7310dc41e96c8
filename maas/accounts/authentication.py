"""`Authorization: Api-Key <prefix>.<secret>` for operators' machines."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from maas.accounts.models import ApiKey, Role
from maas.accounts.services import api_key_hash
from operators.models import Operator

# last_used_at is informational; writing it on every request would turn reads into writes.
_LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass
class ApiKeyPrincipal:
    """The request.user of an API-key request: an operator, not a person."""

    api_key: ApiKey
    operator: Operator

    role: str = Role.OPERATOR
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    is_api_key: bool = True

    @property
    def pk(self) -> str:
        return f"api-key:{self.api_key.pk}"

    @property
    def operator_id(self) -> int:
        return self.operator.pk

    @property
    def username(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request: Request) -> tuple[ApiKeyPrincipal, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        prefix, dot, secret = value.strip().partition(".")
        if not dot or not prefix or not secret:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        api_key = ApiKey.objects.select_related("operator").filter(prefix=prefix).first()
        if api_key is None or not hmac.compare_digest(api_key.secret_hash, api_key_hash(secret)):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > _LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return ApiKeyPrincipal(api_key=api_key, operator=api_key.operator), api_key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
