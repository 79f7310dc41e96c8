"""Write-side operations on operators."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from operators.models import Operator

_UPDATABLE = (
    "name_ja",
    "name_en",
    "modes",
    "time_zone",
    "contact_email",
    "contact_phone",
    "website",
)


@transaction.atomic
def operator_create(
    *,
    slug: str,
    name_ja: str,
    name_en: str = "",
    modes: list[str] | None = None,
    time_zone: str = "Asia/Tokyo",
    contact_email: str = "",
    contact_phone: str = "",
    website: str = "",
) -> Operator:
    """Create an operator after full model validation."""
    operator = Operator(
        slug=slug,
        name_ja=name_ja,
        name_en=name_en,
        modes=modes or [],
        time_zone=time_zone,
        contact_email=contact_email,
        contact_phone=contact_phone,
        website=website,
    )
    operator.full_clean()
    operator.save()
    return operator


@transaction.atomic
def operator_update(*, operator: Operator, data: dict[str, Any]) -> Operator:
    """Update the contact/profile fields of an operator (never its slug)."""
    for field in _UPDATABLE:
        if field in data:
            setattr(operator, field, data[field])
    operator.full_clean()
    operator.save()
    return operator
