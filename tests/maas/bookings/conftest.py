"""Fixtures of the booking tests: operators of each kind, a bike station, ticket keys."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from maas.accounts.models import Role, User
from operators.gbfs.models import GbfsSystem, Station, StationStatus
from operators.models import FeedVersion, Operator
from tests.factories import OperatorFactory, UserFactory

TICKET_KEYS = "k2026:first-test-secret"


@pytest.fixture(autouse=True)
def _ticket_keys(settings: Any) -> None:
    settings.TICKET_SIGNING_KEYS = TICKET_KEYS
    settings.PLATFORM_FEE_PERCENT = "10"
    settings.WALLET_CURRENCY = "JPY"
    settings.WALLET_SANDBOX_ENABLED = True
    settings.BOOKING_HOLD_S = 300


@pytest.fixture
def bus(db: None) -> Operator:
    return OperatorFactory.create(slug="city-bus", name_ja="市バス", time_zone="Asia/Tokyo")


@pytest.fixture
def rail(db: None) -> Operator:
    return OperatorFactory.create(slug="metro-rail", name_ja="地下鉄", time_zone="Asia/Tokyo")


@pytest.fixture
def bikes(db: None) -> Operator:
    return OperatorFactory.create(slug="cycle-share", name_ja="シェアサイクル")


@pytest.fixture
def museum(db: None) -> Operator:
    return OperatorFactory.create(slug="museum-co", name_ja="美術館", time_zone="Asia/Tokyo")


def bike_station(operator: Operator, *, bikes_available: int, station_id: str = "st-1") -> Station:
    version = FeedVersion.objects.create(operator=operator, kind="gbfs", status="active")
    system = GbfsSystem.objects.create(feed_version=version, operator=operator)
    station = Station.objects.create(
        system=system, station_id=station_id, name="Station One", lat=35.68, lon=139.76
    )
    StationStatus.objects.create(
        station=station,
        num_bikes_available=bikes_available,
        num_docks_available=5,
        fetched_at=timezone.now(),
    )
    return station


def bikes_left(station: Station) -> int:
    """The availability the API serves for the station (published bikes minus holds)."""
    from operators.gbfs.selectors import station_list_near

    (served,) = [
        s
        for s in station_list_near(lat=station.lat, lon=station.lon, radius_m=1, limit=10)
        if s.id.endswith(f":{station.station_id}")
    ]
    assert served.bikes_available is not None
    return served.bikes_available


@pytest.fixture
def rider(db: None) -> User:
    return UserFactory.create(role=Role.PASSENGER, username="rider")


@pytest.fixture
def other_rider(db: None) -> User:
    return UserFactory.create(role=Role.PASSENGER, username="other-rider")
