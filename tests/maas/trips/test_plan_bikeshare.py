"""Bike-share legs in `GET /api/v1/plan` on real GBFS data.

There is no real Tokyo transit feed in ../shared/data, so the Tokyo tests run on a SMALL
HAND-MADE rail line written here (Tokyo - Kanda - Akihabara - Okachimachi - Ueno, real
station positions, a train every 10 minutes) with the real Docomo Bike Share Tokyo station
information and 08:00 status of 2022-06-29. Almere likewise gets a one-stop hand-made
network so that a snapshot exists; its vehicles and geofencing zones are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from operators.models import SnapshotStatus
from operators.network import network_snapshot_build
from tests.maas.trips.multimodal_helpers import import_bytes, import_gbfs, line_gtfs

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

DOCOMO = "gbfs/docomo_cycle_tokyo_2022-06-29"
TOKYO_LINE = [
    ("tokyo", "東京", 35.6812, 139.7671),
    ("kanda", "神田", 35.6918, 139.7709),
    ("akihabara", "秋葉原", 35.6984, 139.7731),
    ("okachimachi", "御徒町", 35.7075, 139.7748),
    ("ueno", "上野", 35.7138, 139.7770),
]
# 京橋エドグラン: 0 bikes (not renting) at 08:00; 不忍通りふれあい館: 0 docks (not returning)
EMPTY_STATION = "docomo:00010216"
EMPTY_AT = "35.677576,139.769822"
FULL_STATION = "docomo:00010245"
FULL_AT = "35.719356,139.764308"


def _tokyo(shared_data: Path, settings: Any, now: str) -> None:
    settings.SNAPSHOT_HORIZON_START = "2022-06-29"
    settings.SNAPSHOT_HORIZON_DAYS = 1
    settings.PLAN_NOW = now
    import_bytes(
        "tokyo-line",
        line_gtfs(
            timezone="Asia/Tokyo",
            stops=TOKYO_LINE,
            minutes_between=2,
            first_departure="07:00",
            trips=18,
            headway_min=10,
            start_date="20220601",
            end_date="20220731",
        ),
        "gtfs",
    )
    folder = shared_data / DOCOMO
    status = json.loads((folder / "station_status_0800.json").read_text())
    import_gbfs(
        "docomo",
        {
            "system_information.json": {
                "last_updated": status["last_updated"],
                "ttl": 3600,
                "version": "2.3",
                "data": {
                    "system_id": "docomo-cycle-tokyo",
                    "language": "ja",
                    "name": "ドコモ・バイクシェア 東京",
                    "timezone": "Asia/Tokyo",
                },
            },
            "station_information.json": (folder / "station_information.json").read_text(),
            "station_status.json": status,
        },
    )
    snapshot = network_snapshot_build()
    assert snapshot.status == SnapshotStatus.READY, snapshot.error


def _bike_legs(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [leg for it in body["itineraries"] for leg in it["legs"] if leg["mode"] == "bikeshare"]


def test_empty_station_never_picked_up_and_full_station_never_returned(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: Docomo at 08:00, fresh (one minute old)
    _tokyo(shared_data, settings, now="2022-06-29T08:01:00+09:00")

    # when: from the empty station to the full one
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": EMPTY_AT,
            "to": FULL_AT,
            "depart_at": "2022-06-29T08:05:00+09:00",
            "modes": "bikeshare,walk",
            "num_itineraries": "20",
        },
    )

    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    legs = _bike_legs(body)
    assert legs, body
    assert EMPTY_STATION not in {leg["station"]["id"] for leg in legs}
    assert FULL_STATION not in {(leg["return_station"] or {}).get("id") for leg in legs}
    first = body["itineraries"][0]
    assert [leg["mode"] for leg in first["legs"]] == ["walk", "bikeshare", "walk"]
    bike = first["legs"][1]
    assert bike["operator"] == "docomo"
    assert bike["stale"] is False
    assert first["stale"] is False
    assert bike["price"] is None  # the Docomo snapshot has no system_pricing_plans
    assert bike["station"]["id"] == "docomo:00010054"  # B2-02, 246 m walk
    assert bike["return_station"] == {"id": "docomo:00010745", "name": "E5-17.Village藍染"}
    assert [leg["distance_m"] for leg in first["legs"]] == [246, 6451, 223]
    assert first["arrival"] == "2022-06-29T08:39:07+09:00"


def test_bike_to_rail_to_walk_as_access(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _tokyo(shared_data, settings, now="2022-06-29T08:01:00+09:00")

    # when: from Ginza-ish (1 km+ from Tokyo station) to Ueno station's exit
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": "35.6717,139.7650",
            "to": "35.7138,139.7772",
            "depart_at": "2022-06-29T08:05:00+09:00",
            "modes": "transit,bikeshare",
            "max_walk_m": "600",
            "num_itineraries": "20",
        },
    )

    # then
    body = response.json()
    shapes = [[leg["mode"] for leg in it["legs"]] for it in body["itineraries"]]
    assert shapes == [["walk", "bikeshare", "walk", "transit", "walk"]]


def test_modes_transit_has_no_bikeshare_legs(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given
    _tokyo(shared_data, settings, now="2022-06-29T08:01:00+09:00")

    # when
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": "35.6717,139.7650",
            "to": "35.7138,139.7772",
            "depart_at": "2022-06-29T08:05:00+09:00",
            "modes": "transit",
            "max_walk_m": "1500",
        },
    )

    # then
    body = response.json()
    assert body["itineraries"]
    modes = {leg["mode"] for it in body["itineraries"] for leg in it["legs"]}
    assert modes == {"walk", "transit"}


def test_stale_bike_data_is_flagged_and_ranked_after_fresh(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: an hour after the 08:00 status (ttl 60 s: far older than 2 x ttl)
    _tokyo(shared_data, settings, now="2022-06-29T09:00:00+09:00")

    # when
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": EMPTY_AT,
            "to": "35.7073,139.7740",  # beside Okachimachi and 松坂屋上野店 (docks free)
            "depart_at": "2022-06-29T09:00:00+09:00",
            "num_itineraries": "20",
        },
    )

    # then
    body = response.json()
    # the stale bike ride is listed after the fresh transit journey, whatever its arrival
    assert [
        ([leg["mode"] for leg in it["legs"]], it["arrival"], it["stale"])
        for it in body["itineraries"]
    ] == [
        (["walk", "transit", "walk"], "2022-06-29T09:17:22+09:00", False),
        (["walk", "bikeshare", "walk"], "2022-06-29T09:23:54+09:00", True),
    ]
    for leg in _bike_legs(body):
        assert leg["stale"] is True


# ------------------------------------------------------------------------ Check Almere

ALMERE = "gbfs/ridecheck_almere"


def _almere(shared_data: Path, settings: Any) -> None:
    settings.SNAPSHOT_HORIZON_START = "2025-05-21"
    settings.SNAPSHOT_HORIZON_DAYS = 1
    settings.PLAN_NOW = "2025-05-21T09:50:00+02:00"
    settings.ROUTING_COVERAGE_M = 20_000  # the hand-made network has just two stops
    import_bytes(
        "almere-bus",
        line_gtfs(
            timezone="Europe/Amsterdam",
            stops=[
                ("centraal", "Almere Centraal", 52.3749, 5.2177),
                ("parkwijk", "Almere Parkwijk", 52.3770, 5.2440),
            ],
            minutes_between=3,
            first_departure="07:00",
            trips=1,
            headway_min=10,
            start_date="20250501",
            end_date="20250531",
        ),
        "gtfs",
    )
    folder = shared_data / ALMERE
    import_gbfs(
        "check-almere",
        {p.name: p.read_text() for p in sorted(folder.glob("*.json")) if p.name != "gbfs.json"},
    )
    snapshot = network_snapshot_build()
    assert snapshot.status == SnapshotStatus.READY, snapshot.error


@pytest.mark.parametrize(
    ("to", "offered"),
    [
        ("52.3811,5.2022", True),  # Almere Stad: riding and parking allowed
        ("52.34265,5.199205", False),  # Almere Haven: ride_through_allowed false
        ("52.3700,5.3300", False),  # outside every zone: global rule, no ride end
    ],
)
def test_almere_geofencing_no_ride_zone_avoided(
    api_client: APIClient, shared_data: Path, settings: Any, to: str, offered: bool
) -> None:
    # given: the real moped ce1c5047 at 52.36154,5.2467 (Almere Stad)
    _almere(shared_data, settings)

    # when: from 100 m beside it
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": "52.3624,5.2467",
            "to": to,
            "depart_at": "2025-05-21T10:00:00+02:00",
            "modes": "bikeshare",
        },
    )

    # then
    assert response.status_code == 200, response.json()
    legs = _bike_legs(response.json())
    assert bool(legs) is offered
    if offered:
        assert legs[0]["station"]["id"] == "check-almere:ce1c5047-882e-43f5-9a4c-98e3d8d702b4"
