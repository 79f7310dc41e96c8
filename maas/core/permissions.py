"""Role permissions. Every API view names the roles it serves; tenancy (an operator sees
only its own objects) is enforced by `operator_scope_get`, which answers 404 for other
tenants so their objects' existence is not revealed."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from maas.core.roles import Role
from operators.models import Operator


def _role(request: Request) -> str | None:
    user = request.user
    if not user or not user.is_authenticated:
        return None
    return str(getattr(user, "role", ""))


class _RolePermission(permissions.BasePermission):
    roles: tuple[str, ...] = ()
    allow_api_key = False
    message = "Your role may not use this endpoint."

    def has_permission(self, request: Request, view: Any) -> bool:
        role = _role(request)
        if role is None:
            return False  # DRF turns this into 401 for unauthenticated requests
        if getattr(request.user, "is_api_key", False) and not self.allow_api_key:
            return False
        return role in self.roles


class IsPassenger(_RolePermission):
    roles = (Role.PASSENGER,)
    message = "Only passengers may use this endpoint."


class IsOperatorMember(_RolePermission):
    """Staff of an operator (or an admin acting for any operator); user accounts only."""

    roles = (Role.OPERATOR, Role.ADMIN)
    message = "Only operator staff may use this endpoint."


class IsOperatorOrApiKey(IsOperatorMember):
    """Operator staff, an admin, or an operator's machine with an API key."""

    allow_api_key = True


class IsCityAnalyst(_RolePermission):
    roles = (Role.CITY, Role.ADMIN)
    message = "Only city analysts may use this endpoint."


class IsAdmin(_RolePermission):
    roles = (Role.ADMIN,)
    message = "Only administrators may use this endpoint."


class IsPerson(_RolePermission):
    """Any signed-in person (not a machine key)."""

    roles = tuple(Role.values)


def operator_scope_get(*, request: Request, slug: str) -> Operator:
    """The operator `slug` if the caller may act for it, else 404 (also for other tenants)."""
    operator = Operator.objects.filter(slug=slug).first()
    if operator is None:
        raise NotFound(f"No operator {slug!r}.")
    if _role(request) == Role.ADMIN:
        return operator
    if getattr(request.user, "operator_id", None) != operator.pk:
        raise NotFound(f"No operator {slug!r}.")
    return operator
