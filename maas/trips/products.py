"""Write side of passes and bundles (`Product`)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from maas.core.errors import ApiError
from maas.trips.fares.money import MINOR_UNITS
from maas.trips.models import Product
from operators.models import Operator


def _validate(fields: dict[str, Any], coverage: list[Operator], owner: Operator | None) -> None:
    if fields.get("duration_s") is None and fields.get("calendar_days") is None:
        raise ApiError(
            "invalid_request",
            "Invalid request: give the validity as duration_s and/or calendar_days.",
            details={"fields": {"duration_s": ["duration_s or calendar_days is required."]}},
        )
    if fields.get("currency") not in MINOR_UNITS:
        raise ApiError(
            "invalid_request",
            f"Invalid request: unknown currency {fields.get('currency')!r}.",
            details={"fields": {"price": ["unknown currency"]}},
        )
    if not coverage:
        raise ApiError(
            "invalid_request",
            "Invalid request: covered_operators must name at least one operator.",
            details={"fields": {"covered_operators": ["required"]}},
        )
    if owner is not None and [o.pk for o in coverage] != [owner.pk]:
        raise ApiError(
            "coverage_not_allowed",
            "An operator's product covers only that operator; passes valid on several "
            "operators are city products (/api/v1/city/products).",
            status_code=403,
            details={"covered_operators": sorted(o.slug for o in coverage)},
        )
    slugs = {o.slug for o in coverage}
    bad = [r for r in fields.get("route_ids") or [] if r.split(":", 1)[0] not in slugs]
    if bad:
        raise ApiError(
            "invalid_request",
            "Invalid request: route_ids must be routes of the covered operators "
            "('<operator>:<route_id>').",
            details={"fields": {"route_ids": bad}},
        )


@transaction.atomic
def product_create(
    *, owner: Operator | None, coverage: list[Operator], fields: dict[str, Any]
) -> Product:
    """A pass/bundle of `owner` (None: the city) covering `coverage`."""
    _validate(fields, coverage, owner)
    try:
        with transaction.atomic():
            product = Product.objects.create(operator=owner, **fields)
    except IntegrityError:
        raise ApiError(
            "duplicate_code",
            f"A product with code {fields.get('code')!r} exists already.",
            status_code=409,
            details={"code": fields.get("code")},
        ) from None
    product.covered_operators.set(coverage)
    return product


@transaction.atomic
def product_update(
    *, product: Product, coverage: list[Operator] | None, fields: dict[str, Any]
) -> Product:
    merged = {
        "duration_s": product.duration_s,
        "calendar_days": product.calendar_days,
        "currency": product.currency,
        "route_ids": product.route_ids,
        **fields,
    }
    _validate(
        merged,
        coverage if coverage is not None else list(product.covered_operators.all()),
        product.operator,
    )
    for name, value in fields.items():
        setattr(product, name, value)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:
        raise ApiError(
            "duplicate_code", "A product with this code exists already.", status_code=409
        ) from None
    if coverage is not None:
        product.covered_operators.set(coverage)
    return product


def product_delete(*, product: Product) -> None:
    # Offers keep their own frozen copy of what they priced, so deleting is safe.
    product.delete()
