"""Hand-built offers (frozen exactly like maas.trips freezes them) and wallet helpers for
the booking tests; the full flow on a real feed lives in test_full_flow.py."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from maas.accounts.models import User
from maas.trips.models import Offer
from maas.wallet.services import wallet_balance, wallet_top_up

DEPARTURE = dt.datetime(2030, 6, 5, 8, 0, tzinfo=dt.UTC)


def place(name: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "lat": lat, "lon": lon, "stop_id": None, "station_id": None, **extra}


def leg(
    mode: str,
    operator: str,
    *,
    start_min: int = 0,
    duration_min: int = 20,
    day: dt.datetime = DEPARTURE,
    **extra: Any,
) -> dict[str, Any]:
    departure = day + dt.timedelta(minutes=start_min)
    return {
        "mode": mode,
        "operator": operator,
        "from": place("A", 35.68, 139.76),
        "to": place("B", 35.69, 139.77),
        "departure": departure.isoformat(),
        "arrival": (departure + dt.timedelta(minutes=duration_min)).isoformat(),
        "trip_id": f"{operator}:trip-1" if mode == "transit" else None,
        **extra,
    }


def offer_make(
    *,
    owner: User | None,
    legs: list[dict[str, Any]],
    prices: list[int | None],
    add_ons: list[dict[str, Any]] | None = None,
    currency: str = "JPY",
    expires_in_s: int = 1800,
) -> Offer:
    """An offer whose breakdown prices each priced leg singly: `prices[i]` for legs[i]
    (None for walk legs)."""
    breakdown = [
        {
            "operator": legs[i]["operator"],
            "product": "single",
            "product_id": "single",
            "kind": "single",
            "price": {"amount": amount, "currency": currency},
            "legs": [i],
        }
        for i, amount in enumerate(prices)
        if amount is not None
    ]
    return Offer.objects.create(
        owner=owner,
        expires_at=timezone.now() + dt.timedelta(seconds=expires_in_s),
        rider_category="adult",
        itinerary={"legs": legs},
        price_amount=sum(a for a in prices if a is not None),
        currency=currency,
        price_breakdown=breakdown,
        add_ons=add_ons or [],
    )


def add_on(operator: str, product_id: str, amount: int, valid_on: str = "2030-06-05") -> dict:
    return {
        "id": f"{operator}:{product_id}",
        "kind": "attraction_ticket",
        "title": product_id,
        "price": {"amount": amount, "currency": "JPY"},
        "valid_on": valid_on,
    }


def top_up(user: User, amount: int) -> None:
    wallet_top_up(user=user, amount=amount, method="sandbox", reference=f"test-{uuid.uuid4()}")


def balance(user: User) -> int:
    return wallet_balance(user=user)
