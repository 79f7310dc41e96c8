"""Parsing and validating the trip-planning parameters of API.md (`GET /api/v1/plan`).

Everything a client can get wrong is refused here with a 400 naming the parameter, before
any search runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from maas.core.errors import ApiError

ALL_MODES = ("transit", "walk", "bikeshare", "ondemand")
MAX_TRANSFERS_LIMIT = 10
MAX_WALK_M_LIMIT = 5000
MAX_ITINERARIES = 20


@dataclass(frozen=True)
class LatLon:
    lat: float
    lon: float


@dataclass(frozen=True)
class PlanQuery:
    """A validated planning request."""

    origin: LatLon | None
    origin_stop: str | None  # "<operator>:<stop_id>"
    destination: LatLon | None
    destination_stop: str | None
    time: dt.datetime | None  # aware; None: the server's default (now)
    arrive_by: bool
    modes: tuple[str, ...]
    wheelchair: bool
    max_walk_m: int
    max_transfers: int
    walk_speed_mps: float
    num_itineraries: int


def parse_lat_lon(value: str, *, name: str) -> LatLon:
    """`"35.6664,138.5689"` -> LatLon; a clear 400 for anything else."""
    parts = value.split(",")
    if len(parts) != 2:
        raise ApiError(
            "invalid_coordinates",
            f"{name} must be 'lat,lon' (e.g. 35.6664,138.5689); got {value!r}.",
            details={"parameter": name},
        )
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise ApiError(
            "invalid_coordinates",
            f"{name} must be two decimal numbers 'lat,lon'; got {value!r}.",
            details={"parameter": name},
        ) from None
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
        raise ApiError(
            "invalid_coordinates",
            f"{name} is out of range: latitude must be within ±90 and longitude within ±180; "
            f"got {value!r}.",
            details={"parameter": name},
        )
    if lat != lat or lon != lon:  # NaN
        raise ApiError(
            "invalid_coordinates", f"{name} is not a number.", details={"parameter": name}
        )
    return LatLon(lat=lat, lon=lon)


class PlanInputSerializer(serializers.Serializer[Any]):
    from_ = serializers.CharField(required=False)
    from_stop = serializers.CharField(required=False, max_length=300)
    to = serializers.CharField(required=False)
    to_stop = serializers.CharField(required=False, max_length=300)
    depart_at = serializers.DateTimeField(required=False)
    arrive_by = serializers.DateTimeField(required=False)
    modes = serializers.CharField(required=False)
    wheelchair = serializers.BooleanField(required=False, default=False)
    max_walk_m = serializers.IntegerField(
        required=False, default=1000, min_value=0, max_value=MAX_WALK_M_LIMIT
    )
    max_transfers = serializers.IntegerField(
        required=False, default=5, min_value=0, max_value=MAX_TRANSFERS_LIMIT
    )
    walk_speed_mps = serializers.FloatField(
        required=False, default=1.2, min_value=0.3, max_value=3.0
    )
    num_itineraries = serializers.IntegerField(
        required=False, default=5, min_value=1, max_value=MAX_ITINERARIES
    )
    lang = serializers.CharField(required=False)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields


def plan_query_parse(
    *, params: Any, default_time: dt.datetime | None = None, now: dt.datetime | None = None
) -> PlanQuery:
    """Validate query parameters into a PlanQuery (400 `ApiError`s on any problem)."""
    data = PlanInputSerializer(data=params)
    data.is_valid(raise_exception=True)
    v = data.validated_data

    def endpoint(point_name: str, stop_name: str) -> tuple[LatLon | None, str | None]:
        point, stop = v.get(point_name), v.get(stop_name)
        if (point is None) == (stop is None):
            raise ApiError(
                "missing_parameter" if point is None else "conflicting_parameters",
                f"Give exactly one of {point_name}=lat,lon or {stop_name}=<stop id>.",
                details={"parameters": [point_name, stop_name]},
            )
        if point is not None:
            return parse_lat_lon(point, name=point_name), None
        return None, stop

    origin, origin_stop = endpoint("from", "from_stop")
    destination, destination_stop = endpoint("to", "to_stop")

    if "depart_at" in v and "arrive_by" in v:
        raise ApiError(
            "conflicting_parameters",
            "Give depart_at or arrive_by, not both.",
            details={"parameters": ["depart_at", "arrive_by"]},
        )
    arrive_by = "arrive_by" in v
    when = v.get("arrive_by") or v.get("depart_at") or now or default_time

    modes: tuple[str, ...] = ALL_MODES
    if v.get("modes"):
        requested = tuple(dict.fromkeys(m.strip() for m in v["modes"].split(",") if m.strip()))
        unknown = [m for m in requested if m not in ALL_MODES]
        if unknown or not requested:
            raise ApiError(
                "invalid_modes",
                f"modes must be a comma list of {', '.join(ALL_MODES)}; "
                f"unknown: {', '.join(unknown) or '(empty)'}.",
                details={"parameter": "modes"},
            )
        modes = requested

    return PlanQuery(
        origin=origin,
        origin_stop=origin_stop,
        destination=destination,
        destination_stop=destination_stop,
        time=when,
        arrive_by=arrive_by,
        modes=modes,
        wheelchair=v["wheelchair"],
        max_walk_m=v["max_walk_m"],
        max_transfers=v["max_transfers"],
        walk_speed_mps=v["walk_speed_mps"],
        num_itineraries=v["num_itineraries"],
    )
