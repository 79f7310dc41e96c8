"""Fixtures of the on-demand tests: a flex zone in an active feed of alpha-bus, a service
on it with a simple travel model (10 m/s, no detour, no dwell), and its vehicles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from operators.gtfs.models import Location
from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.ondemand.models import OnDemandService, Vehicle
from operators.ondemand.services import ondemand_service_create, vehicle_create

UTC = dt.UTC
#: A Monday in the future, so no stop is "already served".
DAY = dt.date(2030, 6, 3)
# Two points in Kofu 0.01 degree of latitude apart: 1111.95 m, 112 s at 10 m/s.
A = (35.66, 138.57)
B = (35.67, 138.57)
ZONE = "kofu-zone"


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, second, tzinfo=UTC)


def flex_zone_create(operator: Operator, zone_id: str = ZONE) -> FeedVersion:
    version = FeedVersion.objects.create(
        operator=operator, kind=FeedKind.GTFS_FLEX, status=FeedStatus.ACTIVE
    )
    ring = [[138.55, 35.65], [138.59, 35.65], [138.59, 35.69], [138.55, 35.69], [138.55, 35.65]]
    Location.objects.create(
        feed_version=version,
        location_id=zone_id,
        geometry_type="Polygon",
        geometry={"type": "Polygon", "coordinates": [ring]},
        min_lat=35.65,
        min_lon=138.55,
        max_lat=35.69,
        max_lon=138.59,
    )
    return version


@pytest.fixture
def flex_zone(operator_a: Operator) -> FeedVersion:
    return flex_zone_create(operator_a)


@pytest.fixture
def service(operator_a: Operator, flex_zone: FeedVersion) -> OnDemandService:
    return ondemand_service_create(
        operator=operator_a,
        data={
            "zone_id": ZONE,
            "name": "Kofu on-demand",
            "road_speed_mps": 10.0,
            "detour_factor": 1.0,
            "dwell_s": 0,
            "max_ride_factor": 1.0,
            "service_buffer_s": 600,
        },
    )


MakeVehicle = Callable[..., Vehicle]


@pytest.fixture
def make_vehicle(service: OnDemandService) -> MakeVehicle:
    def make(seats: int = 1, label: str | None = None, **data: Any) -> Vehicle:
        data.setdefault("shifts", [{"start": at(8).isoformat(), "end": at(12).isoformat()}])
        return vehicle_create(
            service=service,
            data={"label": label or f"car-{Vehicle.objects.count() + 1}", "seats": seats, **data},
        )

    return make
