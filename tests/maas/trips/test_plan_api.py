"""`GET /api/v1/plan` over real feeds imported through the feed pipeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from operators.gtfs.models import StopTime
from operators.models import NetworkSnapshot
from tests.conftest import SHARED_DATA
from tests.maas.accounts.test_role_matrix import assert_error
from tests.maas.trips.networks import committed_network
from tests.maas.trips.networks import import_feed as import_feed  # re-exported for other tests

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]


@pytest.fixture(scope="module")
def bart(
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[NetworkSnapshot]:
    """BART imported and compiled once for the module: every test here only reads it."""
    with committed_network(
        django_db_blocker,
        tmp_path_factory.mktemp("bart-snapshot"),
        slug="bart",
        path=SHARED_DATA / "gtfs" / "bart_2018.zip",
        horizon_start="2018-06-05",
        horizon_days=2,
    ) as snapshot:
        yield snapshot


def published(trip_id: str, stop_id: str) -> tuple[int | None, int | None]:
    row = StopTime.objects.get(trip_id=trip_id.split(":", 1)[1], stop_id=stop_id.split(":", 1)[1])
    return row.arrival_s, row.departure_s


def seconds_of_day(iso: str) -> int:
    t = dt.datetime.fromisoformat(iso)
    return t.hour * 3600 + t.minute * 60 + t.second


def test_stop_to_stop_rides_the_published_trip(
    api_client: APIClient, bart: NetworkSnapshot
) -> None:
    # when
    response = api_client.get(
        "/api/v1/plan",
        {
            "from_stop": "bart:EMBR",
            "to_stop": "bart:DUBL",
            "depart_at": "2018-06-05T08:00:00-07:00",
            "lang": "en",
        },
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["snapshot"] == bart.version
    first = body["itineraries"][0]
    assert [leg["mode"] for leg in first["legs"]] == ["transit"]
    leg = first["legs"][0]
    assert (leg["from"]["stop_id"], leg["to"]["stop_id"]) == ("bart:EMBR", "bart:DUBL")
    assert leg["operator"] == "bart"
    assert first["operators"] == ["bart"]
    assert first["transfers"] == 0
    assert leg["route"]["long_name"] == "Dublin/Pleasanton - Daly City"
    assert leg["headsign"] == "Dublin/Pleasanton"
    # the times are the published ones of that trip at those stops
    assert seconds_of_day(leg["departure"]) == published(leg["trip_id"], "bart:EMBR")[1]
    assert seconds_of_day(leg["arrival"]) == published(leg["trip_id"], "bart:DUBL")[0]
    assert leg["departure"].endswith("-07:00")
    assert dt.datetime.fromisoformat(leg["departure"]) >= dt.datetime.fromisoformat(
        "2018-06-05T08:00:00-07:00"
    )
    # geometry follows the shape (many points), as a GeoJSON LineString of [lon, lat]
    assert leg["geometry"]["type"] == "LineString"
    assert len(leg["geometry"]["coordinates"]) > 100
    lon, lat = leg["geometry"]["coordinates"][0]
    assert (round(lat, 2), round(lon, 2)) == (37.79, -122.4)


def test_coordinates_give_walk_transit_walk(api_client: APIClient, bart: NetworkSnapshot) -> None:
    response = api_client.get(
        "/api/v1/plan",
        {
            "from": "37.7929,-122.3971",
            "to": "37.7016,-121.8991",
            "depart_at": "2018-06-05T08:00:00-07:00",
            "lang": "en",
        },
    )
    assert response.status_code == 200
    first = response.json()["itineraries"][0]
    assert [leg["mode"] for leg in first["legs"]] == ["walk", "transit", "walk"]
    walk_in, ride, walk_out = first["legs"]
    assert walk_in["from"] == {
        "name": "Origin",
        "lat": 37.7929,
        "lon": -122.3971,
        "stop_id": None,
        "station_id": None,
    }
    assert walk_in["to"]["stop_id"] == ride["from"]["stop_id"]
    assert walk_in["arrival"] == ride["departure"]
    assert walk_out["to"]["name"] == "Destination"
    assert first["walk_m"] == walk_in["distance_m"] + walk_out["distance_m"]
    assert (
        first["duration_s"]
        == (
            dt.datetime.fromisoformat(first["arrival"])
            - dt.datetime.fromisoformat(first["departure"])
        ).total_seconds()
    )


def test_arrive_by_returns_the_latest_departure(
    api_client: APIClient, bart: NetworkSnapshot
) -> None:
    response = api_client.get(
        "/api/v1/plan",
        {
            "from_stop": "bart:EMBR",
            "to_stop": "bart:DUBL",
            "arrive_by": "2018-06-05T09:00:00-07:00",
        },
    )
    assert response.status_code == 200
    itineraries = response.json()["itineraries"]
    assert itineraries
    latest = itineraries[0]
    assert dt.datetime.fromisoformat(latest["arrival"]) <= dt.datetime.fromisoformat(
        "2018-06-05T09:00:00-07:00"
    )
    # leaving any later misses 09:00: the depart-at search from just after it arrives later
    later = api_client.get(
        "/api/v1/plan",
        {
            "from_stop": "bart:EMBR",
            "to_stop": "bart:DUBL",
            "depart_at": (
                dt.datetime.fromisoformat(latest["departure"]) + dt.timedelta(seconds=1)
            ).isoformat(),
            "max_transfers": "5",
        },
    ).json()["itineraries"][0]
    assert dt.datetime.fromisoformat(later["arrival"]) > dt.datetime.fromisoformat(
        "2018-06-05T09:00:00-07:00"
    )


def test_range_query_lists_every_departure_in_the_window(
    api_client: APIClient, bart: NetworkSnapshot
) -> None:
    response = api_client.get(
        "/api/v1/plan",
        {
            "from_stop": "bart:EMBR",
            "to_stop": "bart:DUBL",
            "depart_at": "2018-06-05T08:00:00-07:00",
            "window_s": "3600",
            "num_itineraries": "20",
            "max_transfers": "0",
        },
    )
    assert response.status_code == 200
    departures = [it["departure"] for it in response.json()["itineraries"]]
    # Dublin trains leave Embarcadero every 15 minutes in the morning peak
    assert len(departures) == 4
    assert departures == sorted(departures)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from_stop": "bart:NOPE", "to_stop": "bart:DUBL"}, "unknown_stop"),
        ({"from": "36.5,-123.5", "to_stop": "bart:DUBL"}, "outside_network"),  # Pacific
        (
            {
                "from_stop": "bart:EMBR",
                "to_stop": "bart:DUBL",
                "depart_at": "2018-06-05T08:00:00Z",
                "arrive_by": "2018-06-05T09:00:00Z",
            },
            "conflicting_parameters",
        ),
        (
            {
                "from_stop": "bart:EMBR",
                "to_stop": "bart:DUBL",
                "depart_at": "2030-01-01T08:00:00-08:00",
            },
            "date_outside_service",
        ),
        (
            {
                "from_stop": "bart:EMBR",
                "to_stop": "bart:DUBL",
                "depart_at": "2018-07-10T08:00:00-07:00",
            },
            "date_outside_horizon",
        ),
        (
            {"from_stop": "bart:EMBR", "to_stop": "bart:DUBL", "max_transfers": "11"},
            "invalid_request",
        ),
        ({"from": "37.79;-122.39", "to_stop": "bart:DUBL"}, "invalid_coordinates"),
        (
            {
                "from_stop": "bart:EMBR",
                "to_stop": "bart:DUBL",
                "window_s": "600",
                "arrive_by": "2018-06-05T09:00:00-07:00",
            },
            "conflicting_parameters",
        ),
    ],
)
def test_bad_input_is_400(
    api_client: APIClient, bart: NetworkSnapshot, params: dict[str, str], code: str
) -> None:
    assert_error(api_client.get("/api/v1/plan", params), 400, code)


def test_no_connection_is_an_empty_list_with_a_reason(
    api_client: APIClient, bart: NetworkSnapshot
) -> None:
    # the last trains have gone and max_transfers=0 forbids the change that night
    response = api_client.get(
        "/api/v1/plan",
        {
            "from_stop": "bart:RICH",
            "to_stop": "bart:MLBR",
            "depart_at": "2018-06-06T23:59:00-07:00",
            "max_transfers": "0",
        },
    )
    assert response.status_code == 200
    assert response.json()["itineraries"] == []
    assert response.json()["reason"]["code"] == "no_connection"
