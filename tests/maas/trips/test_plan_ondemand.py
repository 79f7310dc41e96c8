"""On-demand (GTFS-Flex) legs in `GET /api/v1/plan` on the real flex feeds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.trips.ondemand import flex_cache_clear
from operators.models import SnapshotStatus
from operators.network import network_snapshot_build
from tests.maas.trips.multimodal_helpers import import_path

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

ASPEN_IN_ZONE = "39.188595,-106.815921"
ASPEN_ALSO_IN_ZONE = "39.1900,-106.8200"
ASPEN_MESSAGE = (
    "The Downtowner provides free door-to-door transportation within the downtown area of "
    "Aspen. To schedule a ride, use the Downtowner Android/iOS mobile app. You may also "
    "request a ride by calling (877) 230-6045."
)
CRIPPLE_CREEK_MESSAGE = (
    "Cripple Creek Bus provides on demand service in the city for the general public. To "
    "request a ride call (719) 689-7711 Monday - Sunday at least 20 minutes in advance of "
    "your desired trip time."
)


@pytest.fixture(autouse=True)
def _fresh_flex_cache() -> Iterator[None]:
    # feed version ids repeat across tests (each test's DB is rolled back)
    flex_cache_clear()
    yield
    flex_cache_clear()


def _network(settings: Any, shared_data: Path, name: str, day: str, now: str) -> None:
    settings.SNAPSHOT_HORIZON_START = day
    settings.SNAPSHOT_HORIZON_DAYS = 1
    settings.PLAN_NOW = now
    import_path("flex", shared_data / "gtfs-flex" / name, "gtfs-flex")
    snapshot = network_snapshot_build()
    assert snapshot.status == SnapshotStatus.READY, snapshot.error


def _plan(client: APIClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/plan", params)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def test_aspen_zone_ride_real_time_booking(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: the Downtowner (booking_type 0), off season window 11:00-23:00
    _network(
        settings, shared_data, "aspen_flex_on_demand.zip", "2021-05-03", "2021-05-03T11:50:00-06:00"
    )

    # when
    body = _plan(
        api_client,
        **{"from": ASPEN_IN_ZONE, "to": ASPEN_ALSO_IN_ZONE},
        depart_at="2021-05-03T12:00:00-06:00",
        modes="ondemand",
    )

    # then
    [itinerary] = body["itineraries"]
    [leg] = itinerary["legs"]
    assert leg["mode"] == "ondemand"
    assert leg["operator"] == "flex"
    assert leg["zone"] == {"id": "flex:area_294", "name": leg["zone"]["name"]}
    assert leg["departure"] == "2021-05-03T12:00:00-06:00"
    # drive 61 s (straight line x 1.3 at 8.3 m/s) x safe factor 1 + 20 min safe offset
    # + the 300 s service buffer
    assert leg["duration_s"] == 61 + 1200 + 300
    assert leg["booking"] == {
        "type": 0,
        "message": ASPEN_MESSAGE,
        "phone_number": "877-230-6045",
        "info_url": "https://www.cityofaspen.com/270/Downtowner",
        "booking_url": None,
        "latest_booking_time": "2021-05-03T12:00:00-06:00",
    }


def test_aspen_ride_outside_the_window_is_not_offered(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _network(
        settings, shared_data, "aspen_flex_on_demand.zip", "2021-05-03", "2021-05-03T10:00:00-06:00"
    )

    # when: 10:30, before the 11:00 window opens; and 22:50, arriving after 23:00
    early = _plan(
        api_client,
        **{"from": ASPEN_IN_ZONE, "to": ASPEN_ALSO_IN_ZONE},
        depart_at="2021-05-03T10:30:00-06:00",
        modes="ondemand",
    )
    late = _plan(
        api_client,
        **{"from": ASPEN_IN_ZONE, "to": ASPEN_ALSO_IN_ZONE},
        depart_at="2021-05-03T22:50:00-06:00",
        modes="ondemand",
    )

    # then
    assert early["itineraries"] == []
    assert late["itineraries"] == []


def test_same_day_booking_inside_the_notice_period_is_refused_with_the_rule_message(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: Cripple Creek (booking_type 1, 20 minutes' notice), weekday window 07:00-19:00
    _network(
        settings,
        shared_data,
        "mobilitydata_flexexample_same-day-service.zip",
        "2022-11-02",
        "2022-11-02T09:50:00-06:00",
    )
    places = {"from": "38.7450,-105.1819", "to": "38.7480,-105.1750"}

    # when: 10 minutes ahead, then 40 minutes ahead
    refused = _plan(api_client, **places, depart_at="2022-11-02T10:00:00-06:00", modes="ondemand")
    offered = _plan(api_client, **places, depart_at="2022-11-02T10:30:00-06:00", modes="ondemand")

    # then
    assert refused["itineraries"] == []
    assert refused["reason"] == {
        "code": "ondemand_booking_closed",
        "message": CRIPPLE_CREEK_MESSAGE,
    }
    [leg] = offered["itineraries"][0]["legs"]
    assert leg["booking"]["type"] == 1
    assert leg["booking"]["latest_booking_time"] == "2022-11-02T10:10:00-06:00"
    assert leg["booking"]["phone_number"] == "719-689-7711"


def test_cobb_deviated_route_first_mile_to_the_transfer_point(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: CobbLinc flex zone 1 (pick-up 07:30-08:00, then the route to stop cujv),
    # booked by phone 2 h to 24 h ahead; walks along the Cobb County OSM extract
    settings.OSM_EXTRACTS = [str(shared_data / "osm" / "cobb_county.osm.pbf")]
    _network(
        settings,
        shared_data,
        "cobblinc_scheduled_deviated_flex.zip",
        "2021-11-02",
        "2021-11-01T12:00:00-04:00",
    )

    # when: from inside zone 1 to the transfer point for route 30
    body = _plan(
        api_client,
        **{"from": "33.86314,-84.66521", "to": "33.85470,-84.60045"},
        depart_at="2021-11-02T07:30:00-04:00",
        modes="transit,ondemand,walk",
    )

    # then
    first = body["itineraries"][0]
    assert [leg["mode"] for leg in first["legs"]] == ["ondemand", "walk"]
    ride = first["legs"][0]
    assert ride["to"]["stop_id"] == "flex:cujv"
    assert ride["booking"]["type"] == 1
    assert ride["booking"]["message"] == "Call reservationist to schedule."
    assert ride["booking"]["phone_number"] == "(770) 528-1053"
    assert ride["departure"] == "2021-11-02T07:30:00-04:00"


def test_modes_transit_has_no_ondemand_legs(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _network(
        settings,
        shared_data,
        "cobblinc_scheduled_deviated_flex.zip",
        "2021-11-02",
        "2021-11-01T12:00:00-04:00",
    )

    # when
    body = _plan(
        api_client,
        **{"from": "33.86446,-84.67420", "to": "33.85470,-84.60045"},
        depart_at="2021-11-02T07:00:00-04:00",
        modes="transit,walk",
    )

    # then
    modes = {leg["mode"] for it in body["itineraries"] for leg in it["legs"]}
    assert modes == {"walk", "transit"}
