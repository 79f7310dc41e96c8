"""On the real Aspen Downtowner flex feed (zone area_294): configure capacity on the zone
and check `ondemand_fits` exactly before and after the vehicle fills up."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.files import File

from operators.models import FeedStatus
from operators.ondemand.models import RideState
from operators.ondemand.selectors import ondemand_fits, zone_center_find
from operators.ondemand.services import (
    NoCapacity,
    ondemand_service_create,
    ride_hold,
    ride_release,
    vehicle_create,
)
from operators.services import feed_version_create, feed_version_import, operator_create
from tests.conftest import SHARED_DATA

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]

DENVER = zoneinfo.ZoneInfo("America/Denver")
# Rubey Park transit center and a corner four blocks north-west, both inside area_294:
# 452.4 m apart, 74 s at 8 m/s x 1.3 detour.
RUBEY_PARK = (39.1889, -106.8196)
NORTH_WEST = (39.1920, -106.8230)


def local(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2030, 6, 3, hour, minute, second, tzinfo=DENVER)


def fits(earliest: dt.datetime, latest: dt.datetime, seats: int = 1) -> bool:
    return ondemand_fits(
        operator_slug="aspen",
        zone_id="area_294",
        pickup_earliest=earliest,
        pickup_latest=latest,
        dropoff_latest=local(23),
        seats=seats,
        pickup=RUBEY_PARK,
        dropoff=NORTH_WEST,
    )


def test_aspen_zone_capacity_before_and_after_filling_the_vehicle() -> None:
    # given: the real feed imported, a Downtowner service on its zone with one 3-seat car
    # in service every day 08:00-23:00 (the feed's window), default travel model
    operator = operator_create(slug="aspen", name_ja="Aspen", time_zone="America/Denver")
    path = SHARED_DATA / "gtfs-flex" / "aspen_flex_on_demand.zip"
    with path.open("rb") as fh:
        version = feed_version_create(
            operator=operator, kind="gtfs-flex", upload=File(fh, name=path.name), enqueue=False
        )
    version = feed_version_import(feed_version_id=version.pk)
    assert version.status == FeedStatus.ACTIVE, version.report
    service = ondemand_service_create(
        operator=operator, data={"zone_id": "area_294", "name": "Downtowner"}
    )
    all_days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    vehicle_create(
        service=service,
        data={
            "label": "Downtowner 1",
            "seats": 3,
            "shifts": [{"days": all_days, "start": "08:00", "end": "23:00"}],
        },
    )
    centre = zone_center_find(operator_id=operator.pk, zone_id="area_294")
    assert centre is not None
    assert (round(centre.lat, 6), round(centre.lon, 6)) == (39.188716, -106.820399)
    # then: before anything is held
    assert fits(local(10), local(10, 3), seats=3) is True
    assert fits(local(10), local(10, 3), seats=4) is False
    assert fits(local(7, 50), local(7, 59)) is False  # before the shift
    # when: three riders hold all seats, pickup 10:00-10:03 at Rubey Park
    ride = ride_hold(
        operator_slug="aspen",
        zone_id="area_294",
        pickup=RUBEY_PARK,
        dropoff=NORTH_WEST,
        pickup_earliest=local(10),
        pickup_latest=local(10, 3),
        seats=3,
    )
    # then: picked up at 10:00:00, 60 s dwell + 74 s drive -> dropped off at 10:02:14
    assert ride.state == RideState.HELD
    assert ride.planned_pickup_at == local(10)
    assert ride.planned_dropoff_at == local(10, 2, 14)
    # and: the car is full until it is back at Rubey Park (10:02:14 + 60 s + 74 s)
    assert fits(local(10), local(10, 4, 27)) is False
    assert fits(local(10), local(10, 4, 28)) is True
    with pytest.raises(NoCapacity):
        ride_hold(
            operator_slug="aspen",
            zone_id="area_294",
            pickup=RUBEY_PARK,
            dropoff=NORTH_WEST,
            pickup_earliest=local(10),
            pickup_latest=local(10, 4, 27),
        )
    # and: an operator without a service on a zone is unmanaged
    assert (
        ondemand_fits(
            operator_slug="aspen",
            zone_id="some-other-zone",
            pickup_earliest=local(10),
            pickup_latest=local(10, 1),
            dropoff_latest=local(11),
        )
        is True
    )
    # when: the hold is released, the seats are free again at once
    ride_release(ride=ride)
    assert fits(local(10), local(10, 3), seats=3) is True
