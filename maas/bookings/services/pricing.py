"""How the frozen offer's price is split over the booking's legs, and the platform fee."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from maas.bookings.models import CancellationPolicy
from operators.models import Operator


def leg_prices_allocate(*, breakdown: list[dict[str, Any]]) -> dict[int, int]:
    """Itinerary leg index -> its share of the offer's price. Each breakdown entry (a single
    fare, a transfer fare or a pass covering several legs) is split evenly over the legs it
    covers, the remainder (whole minor units) going to the earliest legs, so the shares sum
    to the offer's price exactly."""
    shares: dict[int, int] = {}
    for entry in breakdown:
        legs = sorted(int(i) for i in entry.get("legs") or [])
        price = entry.get("price") or {}
        amount = int(price.get("amount") or 0)
        if not legs:
            continue
        base, remainder = divmod(amount, len(legs))
        for position, index in enumerate(legs):
            shares[index] = shares.get(index, 0) + base + (1 if position < remainder else 0)
    return shares


def pass_covered_legs(*, breakdown: list[dict[str, Any]]) -> set[int]:
    return {int(i) for e in breakdown if e.get("kind") == "pass" for i in e.get("legs") or []}


def platform_fee_basis_points(*, operator: Operator) -> int:
    """The platform's commission on the operator's sales in 1/100 %: the operator's own
    CancellationPolicy.platform_fee_percent, else PLATFORM_FEE_PERCENT."""
    policy = CancellationPolicy.objects.filter(operator=operator).first()
    percent = (
        policy.platform_fee_percent
        if policy is not None and policy.platform_fee_percent is not None
        else Decimal(str(settings.PLATFORM_FEE_PERCENT))
    )
    return int(Decimal(percent) * 100)


def platform_fee(*, amount: int, basis_points: int) -> int:
    """Rounded down to a whole minor unit (the operator keeps the fraction)."""
    return amount * basis_points // 10_000
