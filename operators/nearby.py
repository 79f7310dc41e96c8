"""Distances and the `near=lat,lon` query parameter of the place endpoints."""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres: the one scalar distance of the
    Django side (`routing.timetable.haversine_m` is the vectorised one)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle: an index-friendly
    pre-filter before the exact distance."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def near_parse(value: str) -> tuple[float, float]:
    """`"35.66,138.57"` -> (35.66, 138.57); ValueError with a readable message if not."""
    parts = value.split(",")
    if len(parts) != 2:
        raise ValueError("near must be 'lat,lon', e.g. near=35.6664,138.5687")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError("near must be two decimal numbers 'lat,lon'") from None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not -90 <= lat <= 90:
        raise ValueError("near latitude must lie in -90..90")
    if not -180 <= lon <= 180:
        raise ValueError("near longitude must lie in -180..180")
    return lat, lon


class NearField(serializers.CharField):
    """A `near=lat,lon` query parameter, validated into a (lat, lon) tuple."""

    def to_internal_value(self, data: Any) -> tuple[float, float]:  # type: ignore[override]
        try:
            return near_parse(str(super().to_internal_value(data)))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc
