"""Bike share in trip plans: the live state read at query time (never from the snapshot),
turned into plain data for `maas.trips.services` to hand to the routing engine, and the
pricing of a ride. Imports only operators + maas (services.py is the routing gateway).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from operators.gbfs.selectors import bikeshare_live_near


@dataclass
class BikeshareData:
    """Plain data for `routing.access.BikeShare`: pickups/returns as BikePoint kwargs,
    geofencing rules as GeofenceRule kwargs, and pricing plans per operator."""

    pickups: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    pricing: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _rule_kwargs(operator: str, geometry: Any, rule: dict[str, Any]) -> dict[str, Any]:
    # GBFS v2.3: ride_allowed (start and end) + ride_through_allowed;
    # v3.0: ride_start_allowed, ride_end_allowed, ride_through_allowed.
    allowed = rule.get("ride_allowed")
    start = rule.get("ride_start_allowed", allowed)
    end = rule.get("ride_end_allowed", allowed)
    return {
        "operator": operator,
        "geometry": geometry,
        "ride_start_allowed": start is not False,
        "ride_end_allowed": end is not False,
        "ride_through_allowed": rule.get("ride_through_allowed") is not False,
    }


def bikeshare_data_near(
    *, points: list[tuple[float, float]], radius_m: float, now: dt.datetime
) -> BikeshareData:
    """Rentable bikes (stations with num_bikes_available > 0 and renting, free vehicles)
    and free docks (num_docks_available > 0 and returning) within `radius_m` of `points`.
    Stations that are not installed, or without any status, are left out."""
    live = bikeshare_live_near(points=points, radius_m=radius_m, now=now)
    data = BikeshareData(pricing=live.pricing)
    for s in live.stations:
        operator = s.id.split(":", 1)[0]
        extra = live.station_details.get(s.id, {})
        point = {
            "id": s.id,
            "name": s.name,
            "lat": s.lat,
            "lon": s.lon,
            "operator": operator,
            "stale": s.stale,
            "details": {
                "id": s.id,
                "name": s.name,
                "kind": "station",
                "rental_uris": extra.get("rental_uris") or None,
                "last_reported": s.last_reported.isoformat() if s.last_reported else None,
                "stale": s.stale,
                "plans": live.pricing.get(operator, []),
            },
        }
        if s.bikes_available and s.is_renting:
            data.pickups.append(point)
        if s.docks_available and s.is_returning:
            data.returns.append(point)
    for v in live.vehicles:
        data.pickups.append(
            {
                "id": v["id"],
                "name": v["vehicle_type_id"] or "vehicle",
                "lat": v["lat"],
                "lon": v["lon"],
                "operator": v["operator"],
                "free_floating": True,
                "stale": v["stale"],
                "details": {
                    "id": v["id"],
                    "name": v["vehicle_type_id"] or "vehicle",
                    "kind": "vehicle",
                    "rental_uris": v["rental_uris"] or None,
                    "stale": v["stale"],
                    "plans": live.pricing.get(v["operator"], []),
                },
            }
        )
    for zone in live.zones:
        for rule in zone["rules"] or [{}]:
            data.rules.append(_rule_kwargs(zone["operator"], zone["geometry"], rule))
            break  # the first rule of a zone applies (vehicle types are not told apart)
    for operator, rules in live.global_rules.items():
        if rules:
            data.rules.append(_rule_kwargs(operator, None, rules[0]))
    return data


def _segments_price(segments: Any, amount: float) -> float:
    """GBFS per_min_pricing / per_km_pricing: each segment charges `rate` per `interval`
    units from `start` (to `end`)."""
    total = 0.0
    for segment in segments or []:
        start = float(segment.get("start", 0))
        end = segment.get("end")
        rate = float(segment.get("rate", 0))
        interval = float(segment.get("interval", 0)) or 1.0
        upto = min(amount, float(end)) if end is not None else amount
        if upto <= start:
            continue
        total += rate * math.ceil((upto - start) / interval)
    return total


def bikeshare_price(
    *, plans: list[dict[str, Any]], duration_s: int, distance_m: float
) -> dict[str, Any] | None:
    """The cheapest plan's price of one ride in minor units (plan price + per-minute and
    per-km segments), or None when the system publishes no pricing plans."""
    best: dict[str, Any] | None = None
    for plan in plans:
        data = plan.get("data") or {}
        minor = 10 ** _minor_digits(plan["currency"])
        extra = _segments_price(data.get("per_min_pricing"), duration_s / 60) + _segments_price(
            data.get("per_km_pricing"), distance_m / 1000
        )
        amount = int(plan["price_amount"]) + round(extra * minor)
        if best is None or amount < best["amount"]:
            best = {
                "amount": amount,
                "currency": plan["currency"],
                "plan_id": plan["plan_id"],
                "plan_name": plan["name"],
            }
    return best


def _minor_digits(currency: str) -> int:
    return {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0}.get(currency.upper(), 2)
