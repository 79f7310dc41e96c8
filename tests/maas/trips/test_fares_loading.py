"""Fare tables read from the database (a GTFS-JP feed imported through the pipeline)."""

from __future__ import annotations

from typing import Any

import pytest

from maas.trips.fares.loading import fare_tables_cache_clear
from maas.trips.offers import itinerary_price
from tests.conftest import SHARED_DATA
from tests.maas.trips.networks import import_feed

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]


def _leg(mode: str, route: str | None, origin: str, destination: str, dep: str, arr: str) -> Any:
    return {
        "mode": mode,
        "operator": "gunmachuo" if mode == "transit" else None,
        "from": {"stop_id": f"gunmachuo:{origin}" if origin else None, "lat": 36.3, "lon": 139.0},
        "to": {
            "stop_id": f"gunmachuo:{destination}" if destination else None,
            "lat": 36.3,
            "lon": 139.0,
        },
        "departure": dep,
        "arrival": arr,
        "route": {"id": f"gunmachuo:{route}"} if route else None,
        "trip_id": None,
    }


def test_gunma_chuo_itinerary_priced_from_the_database() -> None:
    # given Gunma Chuo imported (fare_rules without contains; each stop its own zone)
    fare_tables_cache_clear()
    version = import_feed("gunmachuo", SHARED_DATA / "gtfs-jp" / "gunmachuo_gtfs-jp.zip")
    itinerary = {
        "legs": [
            _leg(
                "walk",
                None,
                "",
                "g003_02",
                "2025-04-01T08:00:00+09:00",
                "2025-04-01T08:05:00+09:00",
            ),
            # 高崎　女子大線_A,0-310_00,g003_02,g123_02 / 0-310_00,310,JPY
            _leg(
                "transit",
                "高崎\u3000女子大線_A",
                "g003_02",
                "g123_02",
                "2025-04-01T08:05:00+09:00",
                "2025-04-01T08:30:00+09:00",
            ),
            # スマーク線_A,0-150_00,g145_01,g153_02 / 0-150_00,150,JPY
            _leg(
                "transit",
                "スマーク線_A",
                "g145_01",
                "g153_02",
                "2025-04-01T08:40:00+09:00",
                "2025-04-01T08:55:00+09:00",
            ),
            # a bike-share leg without a published price
            {
                **_leg(
                    "bikeshare",
                    None,
                    "",
                    "",
                    "2025-04-01T09:00:00+09:00",
                    "2025-04-01T09:10:00+09:00",
                ),
                "operator": "cycle",
            },
        ]
    }
    # when
    priced = itinerary_price(itinerary=itinerary, rider_category="adult")
    # then: 310 + 150 exact, the bike leg undeterminable, so no total
    assert [(e["legs"], e["price"]) for e in priced.breakdown] == [
        ([1], {"amount": 310, "currency": "JPY"}),
        ([2], {"amount": 150, "currency": "JPY"}),
        ([3], None),
    ]
    assert priced.breakdown[2]["reason"]["code"] == "bikeshare_price_unavailable"
    assert priced.price is None
    assert priced.price_reason is not None
    assert priced.price_reason["legs"][0]["leg"] == 3
    assert priced.feed_version_ids == {"gunmachuo": version.pk}
    # when the bike-share planner provides the leg's price, the total is exact
    itinerary["legs"][3]["price"] = {"amount": 165, "currency": "JPY"}
    priced = itinerary_price(itinerary=itinerary, rider_category="adult")
    assert priced.price == {"amount": 625, "currency": "JPY"}  # 310 + 150 + 165
    assert priced.bundle_discount == {"amount": 0, "currency": "JPY"}
