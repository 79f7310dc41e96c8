"""The real GBFS feeds of ../shared/data imported end to end, with exact counts."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from maas.accounts.models import User
from operators.gbfs.models import (
    GbfsSystem,
    GeofencingZone,
    PricingPlan,
    StationStatus,
    Vehicle,
    VehicleType,
)
from operators.models import FeedStatus, FeedVersion, Operator
from operators.services import feed_version_import
from tests.conftest import client_for
from tests.operators.gbfs.httpserver import Scripted, gbfs_server

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def _import_command(operator: str, source: Path) -> FeedVersion:
    out = StringIO()
    call_command(
        "import_feed", operator, str(source), "--kind", "gbfs", "--create-operator", stdout=out
    )
    return FeedVersion.objects.get(operator__slug=operator, kind="gbfs")


def test_lillestrom_v22_station_based_through_the_http_api(
    shared_data: Path, operator_member: User
) -> None:
    # given: the real files served over HTTP; the discovery's own URLs are `file:` paths
    # of the machine that recorded it, so the test serves a copy pointing at the server
    folder = shared_data / "gbfs/lillestrombysykkel"
    with gbfs_server() as server:
        discovery = json.loads((folder / "gbfs.json").read_text())
        for feed in discovery["data"]["nb"]["feeds"]:
            feed["url"] = server.url(f"/{feed['name']}.json")
            if feed["name"] != "gbfs":
                body = (folder / f"{feed['name']}.json").read_bytes()
                server.queue(f"/{feed['name']}.json", Scripted(body=body))
        server.queue("/gbfs.json", Scripted(body=json.dumps(discovery).encode()))

        # when
        response = client_for(operator_member).post(
            "/api/v1/operators/alpha-bus/feeds",
            {"kind": "gbfs", "url": server.url("/gbfs.json")},
            format="json",
        )
        feed_version = feed_version_import(feed_version_id=response.json()["id"])

    # then
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts == {
        "stations": 6,
        "station_status": 6,
        "vehicles": 0,
        "vehicle_types": 1,
        "geofencing_zones": 0,
        "pricing_plans": 2,
    }
    assert feed_version.report == {"errors": [], "warnings": []}
    system = GbfsSystem.objects.get(feed_version=feed_version)
    assert (system.name, system.gbfs_version, system.timezone) == (
        "Lillestrøm bysykkel",
        "2.2",
        "Europe/Oslo",
    )
    status = StationStatus.objects.get(station__station_id="YLS:VehicleSharingParkingArea:6")
    assert (status.num_bikes_available, status.num_docks_available) == (12, 7)
    assert status.vehicle_types_available == [
        {"vehicle_type_id": "YLS:VehicleType:CityBike", "count": 12}
    ]
    assert sorted(PricingPlan.objects.values_list("name", "currency", "price_amount")) == [
        ("3-dagerskort", "NOK", 1000),
        ("sesongkort", "NOK", 5000),
    ]
    assert sorted(system.files.values_list("name", "ttl_s")) == [
        ("gbfs", 15),
        ("station_information", 61),
        ("station_status", 61),
        ("system_information", 61),
        ("system_pricing_plans", 18143),
        ("vehicle_types", 15),
    ]


def test_check_almere_v30_free_floating_with_geofencing(shared_data: Path) -> None:
    # when
    feed_version = _import_command("check-almere", shared_data / "gbfs/ridecheck_almere")

    # then
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts == {
        "stations": 0,
        "station_status": 0,
        "vehicles": 6,
        "vehicle_types": 1,
        "geofencing_zones": 14,
        "pricing_plans": 0,
    }
    # two of the 16 zones have "geometry": null in the real file
    assert [(w["code"], w["row"]) for w in feed_version.report["warnings"]] == [
        ("missing_geometry", 7),
        ("missing_geometry", 8),
    ]
    system = GbfsSystem.objects.get(feed_version=feed_version)
    assert (system.name, system.gbfs_version, system.system_id) == (
        "Check Technologies",
        "3.0",
        "check_almere",
    )
    assert system.global_rules == [
        {"ride_end_allowed": False, "ride_start_allowed": False, "ride_through_allowed": True}
    ]
    assert Vehicle.objects.filter(is_reserved=True).count() == 1
    assert Vehicle.objects.filter(is_disabled=True).count() == 1
    moped = Vehicle.objects.get(vehicle_id="d44a73a8-d9b1-483d-a90f-4ab6617e6d82")
    assert (moped.lat, moped.lon, moped.current_range_meters) == (52.40078, 5.29054, 32400.0)
    assert VehicleType.objects.get().max_range_meters == 60000.0
    hub = GeofencingZone.objects.get(name="Hub Bergnet")
    assert hub.geometry["type"] == "MultiPolygon"
    assert hub.rules == [
        {
            "ride_end_allowed": False,
            "ride_start_allowed": True,
            "ride_through_allowed": True,
            "vehicle_type_ids": ["check_moped_almere_60"],
        }
    ]


def test_tier_oslo_geofencing_from_a_local_gbfs_json(shared_data: Path) -> None:
    # when
    feed_version = _import_command("tier-oslo", shared_data / "gbfs/tieroslo/gbfs.json")

    # then
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts["geofencing_zones"] == 2
    assert sorted(GeofencingZone.objects.values_list("name", flat=True)) == [
        "NP Frogner og vigelandsparken",
        "OSLO Summer 2021",
    ]
    frogner = GeofencingZone.objects.get(name="NP Frogner og vigelandsparken")
    assert frogner.rules[0]["ride_allowed"] is False
    assert GbfsSystem.objects.get().name == "Tier OSLO"


def test_jump_dc_v10_free_bike_status(shared_data: Path) -> None:
    # when
    feed_version = _import_command("jump-dc", shared_data / "gbfs/jump_dc_2018")

    # then: 9 statuses in the file, one of them ("mahmood") names no known station
    assert feed_version.status == FeedStatus.ACTIVE
    assert feed_version.counts == {
        "stations": 1388,
        "station_status": 8,
        "vehicles": 74,
        "vehicle_types": 0,
        "geofencing_zones": 0,
        "pricing_plans": 1,
    }
    assert feed_version.meta["gbfs_version"] == "1.0"
    assert feed_version.report["warnings"] == [
        {
            "code": "foreign_key_violation",
            "file": "station_status.json",
            "row": 9,
            "field": "station_id",
            "message": "station_id 'mahmood' is not in station_information; its status is skipped.",
        }
    ]
    bike = Vehicle.objects.get(vehicle_id="bike_16503")
    assert bike.lat is not None
    assert bike.lon is not None
    assert (round(bike.lat, 6), round(bike.lon, 6), bike.is_reserved) == (
        38.923847,
        -76.968267,
        False,
    )
    assert PricingPlan.objects.get().price_amount == 0
    assert Operator.objects.filter(slug="jump-dc").exists()
