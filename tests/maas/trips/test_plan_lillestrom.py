"""Lillestrøm bysykkel (GBFS v2.2 with system_pricing_plans) in `GET /api/v1/plan`.

There is no real Lillestrøm transit feed in ../shared/data, so a SMALL HAND-MADE line is
written here (Lillestrøm stasjon - Kjeller, approximate positions, every 15 minutes) only so
that a network snapshot exists; the bike stations, their status and pricing are the real
published files (status of 2021-09-10 07:23:51 UTC, ttl 61 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from operators.models import SnapshotStatus
from operators.network import network_snapshot_build
from tests.maas.trips.multimodal_helpers import import_bytes, import_gbfs, line_gtfs

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

FILES = (
    "system_information.json",
    "station_information.json",
    "station_status.json",
    "system_pricing_plans.json",
    "vehicle_types.json",
)


def test_lillestrom_bike_leg_priced_from_the_cheapest_pricing_plan(
    api_client: APIClient, shared_data: Path, settings: Any
) -> None:
    # given: the real Lillestrøm feed, read 69 s after its last update (fresh: < 2 x ttl)
    settings.SNAPSHOT_HORIZON_START = "2021-09-10"
    settings.SNAPSHOT_HORIZON_DAYS = 1
    settings.PLAN_NOW = "2021-09-10T09:25:00+02:00"
    import_bytes(
        "lillestrom-line",
        line_gtfs(
            timezone="Europe/Oslo",
            stops=[("lls", "Lillestrøm", 59.9530, 11.0450), ("kjr", "Kjeller", 59.9740, 11.0450)],
            minutes_between=6,
            first_departure="07:00",
            trips=20,
            headway_min=15,
            start_date="20210901",
            end_date="20210930",
        ),
        "gtfs",
    )
    folder = shared_data / "gbfs" / "lillestrombysykkel"
    import_gbfs("lillestrom", {name: (folder / name).read_text() for name in FILES})
    snapshot = network_snapshot_build()
    assert snapshot.status == SnapshotStatus.READY, snapshot.error

    # when: from TORVGATA station to STORTORGET station (about 330 m apart)
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": "59.95585,11.04745",
            "to": "59.95797,11.05029",
            "depart_at": "2021-09-10T09:30:00+02:00",
            "modes": "bikeshare",
        },
    )

    # then: the 3-dagerskort (10.0 NOK, no per-minute/per-km segments) beats the
    # sesongkort (50.0 NOK); 10.0 NOK = 1000 øre
    assert response.status_code == 200, response.json()
    legs = [
        leg
        for it in response.json()["itineraries"]
        for leg in it["legs"]
        if leg["mode"] == "bikeshare"
    ]
    assert legs
    bike = legs[0]
    assert bike["operator"] == "lillestrom"
    assert bike["stale"] is False
    assert bike["station"]["id"] == "lillestrom:YLS:VehicleSharingParkingArea:3"
    assert bike["return_station"] == {
        "id": "lillestrom:YLS:VehicleSharingParkingArea:4",
        "name": "STORTORGET",
    }
    assert bike["price"] == {
        "amount": 1000,
        "currency": "NOK",
        "plan_id": "YLS:PricingPlan:867E4558-77E3-4608-8941-0C667E924280",
        "plan_name": "3-dagerskort",
    }
