"""Read side of offers and products."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from maas.core.errors import ApiError
from maas.trips.models import Offer, Product
from operators.models import Operator


class OfferUnavailable(Exception):
    """An offer that cannot be read or booked; `code` is the API error code."""

    code = "offer_unavailable"
    status_code = 409

    def __init__(self, message: str, *, offer_id: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.offer_id = offer_id
        self.details = {"offer_id": offer_id, **(details or {})}

    def as_api_error(self) -> ApiError:
        return ApiError(self.code, str(self), status_code=self.status_code, details=self.details)


class OfferNotFound(OfferUnavailable):
    code = "not_found"
    status_code = 404


class OfferExpired(OfferUnavailable):
    code = "offer_expired"
    status_code = 409


class OfferNotPriced(OfferUnavailable):
    code = "offer_not_priced"
    status_code = 409


def _visible(offer: Offer | None, user: Any) -> bool:
    # An offer with an owner is that passenger's; an anonymous offer belongs to whoever
    # holds its (unguessable, random) id.
    if offer is None:
        return False
    if offer.owner_id is None:
        return True
    return user is not None and user.is_authenticated and user.pk == offer.owner_id


def offer_get(*, offer_id: str | uuid.UUID, user: Any, now: dt.datetime | None = None) -> Offer:
    """A live offer the caller may see; OfferNotFound (also for other passengers' offers)
    or OfferExpired."""
    try:
        key = uuid.UUID(str(offer_id))
    except ValueError:
        raise OfferNotFound(f"No offer {offer_id!r}.", offer_id=str(offer_id)) from None
    offer = Offer.objects.filter(pk=key).first()
    if offer is None or not _visible(offer, user):
        raise OfferNotFound(f"No offer {offer_id!s}.", offer_id=str(offer_id))
    now = now or timezone.now()
    if offer.expires_at <= now:
        raise OfferExpired(
            f"The offer expired at {offer.expires_at.isoformat()}; ask for a new one.",
            offer_id=str(offer.pk),
            details={"expires_at": offer.expires_at.isoformat()},
        )
    return offer


def offer_get_for_booking(
    *, offer_id: str | uuid.UUID, user: Any, now: dt.datetime | None = None
) -> Offer:
    """The frozen offer a booking charges exactly: `price_amount`/`currency`, the frozen
    breakdown, and the frozen add-on prices. Raises OfferNotFound (404), OfferExpired
    (409 `offer_expired`) or OfferNotPriced (409: its price could not be determined)."""
    offer = offer_get(offer_id=offer_id, user=user, now=now)
    if offer.price_amount is None:
        raise OfferNotPriced(
            "This offer has no price (a leg's fare cannot be determined), so it cannot be booked.",
            offer_id=str(offer.pk),
            details={"price_reason": offer.price_reason},
        )
    return offer


def product_list(*, operator: Operator | None, city: bool = False) -> QuerySet[Product]:
    """An operator's products, or the city's (operator empty) with `city=True`."""
    products = Product.objects.prefetch_related("covered_operators").select_related("operator")
    if city:
        return products.filter(operator__isnull=True)
    return products.filter(operator=operator)


def product_public_list() -> QuerySet[Product]:
    return (
        Product.objects.filter(is_active=True)
        .prefetch_related("covered_operators")
        .select_related("operator")
    )
