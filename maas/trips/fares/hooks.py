"""Pricing legs that are not GTFS rides: one small function per mode, replaceable.

Bike-share legs carry the operator's price in the leg JSON ("price": money) once the
bike-share planner provides it; on-demand legs carry it too, or a GTFS-Flex route whose
feed's fare tables price it. Until then these legs are reported as undeterminable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from maas.trips.fares.engine import FareQuote, unknown
from maas.trips.fares.money import MINOR_UNITS

# (leg index, leg JSON) -> a quote, or None to price the leg with its feed's fare tables
LegPricer = Callable[[int, dict[str, Any]], FareQuote | None]


def _money_quote(index: int, leg: dict[str, Any], name: str) -> FareQuote | None:
    price = leg.get("price")
    if not isinstance(price, dict):
        return None
    amount, currency = price.get("amount"), price.get("currency")
    if (
        not isinstance(amount, int)
        or isinstance(amount, bool)
        or amount < 0
        or currency not in MINOR_UNITS
    ):
        return None
    return FareQuote((index,), amount, currency, None, name)


def _bikeshare(index: int, leg: dict[str, Any]) -> FareQuote | None:
    quote = _money_quote(index, leg, "bike share")
    return quote or unknown((index,), "bikeshare_price_unavailable")


def _ondemand(index: int, leg: dict[str, Any]) -> FareQuote | None:
    quote = _money_quote(index, leg, "on-demand ride")
    if quote is not None:
        return quote
    if (leg.get("route") or {}).get("id"):
        return None  # a GTFS-Flex route: its feed's fares apply
    return unknown((index,), "ondemand_price_unavailable")


LEG_PRICERS: dict[str, LegPricer] = {"bikeshare": _bikeshare, "ondemand": _ondemand}


def leg_pricer_register(*, mode: str, pricer: LegPricer) -> None:
    """Install the pricer for legs of `mode` (the bike-share and on-demand apps)."""
    LEG_PRICERS[mode] = pricer
