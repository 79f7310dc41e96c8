"""Aggregates and the city's statistics API: exact counts on crafted data, exact
k-anonymity suppression, formats, the audit log and the open-data package."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from maas.accounts.models import Role, User, VisitorType
from maas.bookings.models import Booking, BookingLeg, BookingState
from maas.platform.aggregates import aggregates_compute
from maas.platform.anonymity import suppress_cells, suppress_cells_2d
from maas.platform.mesh import mesh_code
from maas.platform.models import BikeshareHourly, OnDemandHourly, RidershipHourly, StatsPull
from maas.trips.models import Offer
from operators.gbfs.models import FetchLog, GbfsFile, GbfsSystem, Station, StationStatusChange
from operators.models import FeedVersion, Operator
from tests.conftest import client_for
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

JST = dt.timezone(dt.timedelta(hours=9))
DAY = dt.date(2030, 6, 5)
AT_8 = dt.datetime(2030, 6, 5, 8, 15, tzinfo=JST)
TOKYO_STATION = (35.681236, 139.767125)
SHINJUKU = (35.690921, 139.700258)


def _leg_detail(operator: str, origin: tuple[float, float], to: tuple[float, float]) -> dict:
    return {
        "mode": "transit",
        "operator": operator,
        "from": {"name": "A", "lat": origin[0], "lon": origin[1], "stop_id": f"{operator}:S1"},
        "to": {"name": "B", "lat": to[0], "lon": to[1], "stop_id": f"{operator}:S2"},
        "route": {"id": f"{operator}:R1"},
    }


def _book(
    owner: User,
    operator: Operator,
    *,
    n: int,
    at: dt.datetime = AT_8,
    state: str = BookingState.CONFIRMED,
    mode: str = "transit",
) -> list[BookingLeg]:
    legs = []
    for _ in range(n):
        offer = Offer.objects.create(
            owner=owner,
            expires_at=at,
            rider_category="adult",
            itinerary={"legs": []},
            price_amount=100,
            currency="JPY",
        )
        booking = Booking.objects.create(
            owner=owner, offer=offer, state=state, price_amount=100, currency="JPY"
        )
        legs.append(
            BookingLeg.objects.create(
                booking=booking,
                position=0,
                mode=mode,
                operator=operator,
                adapter="internal",
                state=state,
                detail=_leg_detail(operator.slug, TOKYO_STATION, SHINJUKU),
                departure_at=at,
            )
        )
    return legs


@pytest.fixture
def crafted(make_user: Callable[..., User]) -> dict[str, Any]:
    """3 trips with beta, 12 with alpha, 15 with gamma, all 08:15 JST from Tokyo Station to
    Shinjuku; plus a refused (REJECTED) on-demand leg and a released leg (not counted)."""
    resident = make_user(Role.PASSENGER, visitor_type=VisitorType.RESIDENT)
    tourist = make_user(Role.PASSENGER, visitor_type=VisitorType.TOURIST)
    alpha = OperatorFactory.create(slug="alpha")
    beta = OperatorFactory.create(slug="beta")
    gamma = OperatorFactory.create(slug="gamma")
    _book(resident, alpha, n=12)
    _book(tourist, beta, n=3)
    _book(tourist, gamma, n=15)
    _book(resident, gamma, n=1, state=BookingState.RELEASED)
    _book(resident, gamma, n=1, state=BookingState.REJECTED, mode="ondemand")
    aggregates_compute(date_from=DAY, date_to=DAY)
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


# ------------------------------------------------------------------------ k-anonymity
def test_suppression_of_3_12_15_with_k_10_hides_3_and_its_complement_12() -> None:
    # when
    table = suppress_cells(counts={"a": 3, "b": 12, "c": 15}, k=10)
    # then: 3 is below k; 12 (the smallest other cell) hides with it, so total - 15 = 15
    # cannot be split back into 3 and 12
    assert [(c.key, c.count, c.suppressed) for c in table.cells] == [
        ("a", None, True),
        ("b", None, True),
        ("c", 15, False),
    ]
    assert table.total == 30


def test_two_way_suppression_hides_a_complement_in_every_row_and_column() -> None:
    # given: one small cell (o1, d1); row o1 and column d1 each need a complement
    counts = {("o1", "d1"): 3, ("o1", "d2"): 12, ("o2", "d1"): 20, ("o2", "d2"): 30}
    # when
    hidden = suppress_cells_2d(counts=counts, k=10)
    # then: row o1 -> (o1, d2); column d1 -> (o2, d1); then column d2 and row o2 have a lone
    # hidden cell each -> (o2, d2)
    assert hidden == {("o1", "d1"), ("o1", "d2"), ("o2", "d1"), ("o2", "d2")}


def test_two_way_suppression_leaves_a_table_without_small_cells_alone() -> None:
    assert suppress_cells_2d(counts={("a", "b"): 10, ("a", "c"): 11}, k=10) == set()


# ------------------------------------------------------------------------ aggregates
def test_ridership_aggregates_count_ridden_legs_exactly(crafted: dict[str, Any]) -> None:
    # then
    rows = {
        (r.operator, r.visitor_type, r.hour): r.trips
        for r in RidershipHourly.objects.filter(date=DAY)
    }
    assert rows == {
        ("alpha", "resident", 8): 12,
        ("beta", "tourist", 8): 3,
        ("gamma", "tourist", 8): 15,
    }
    refused = OnDemandHourly.objects.get(date=DAY, hour=8)
    assert (refused.operator, refused.refused, refused.rides) == ("gamma", 1, 0)


def test_recomputing_a_day_is_idempotent(crafted: dict[str, Any]) -> None:
    # when
    aggregates_compute(date_from=DAY, date_to=DAY)
    call_command("aggregate_usage", "--from", "2030-06-05", "--to", "2030-06-05")
    # then
    assert RidershipHourly.objects.filter(date=DAY).count() == 3
    assert sum(r.trips for r in RidershipHourly.objects.all()) == 30


def test_ridership_api_suppresses_exactly(crafted: dict[str, Any], city_analyst: User) -> None:
    # when
    response = client_for(city_analyst).get(
        "/api/v1/stats/ridership", {"date_from": "2030-06-05", "date_to": "2030-06-05"}
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["k"] == 10
    assert body["total"] == 30
    assert body["rows"] == [
        {"operator": "alpha", "trips": None, "suppressed": True},
        {"operator": "beta", "trips": None, "suppressed": True},
        {"operator": "gamma", "trips": 15, "suppressed": False},
    ]
    by_visitor = client_for(city_analyst).get(
        "/api/v1/stats/ridership",
        {"date_from": "2030-06-05", "date_to": "2030-06-05", "group_by": "visitor_type"},
    )
    assert by_visitor.json()["rows"] == [
        {"visitor_type": "resident", "trips": 12, "suppressed": False},
        {"visitor_type": "tourist", "trips": 18, "suppressed": False},
    ]


def test_od_api_counts_by_mesh_and_serves_geojson_polygons(
    crafted: dict[str, Any], city_analyst: User
) -> None:
    client = client_for(city_analyst)
    window: dict[str, Any] = {"date_from": "2030-06-05", "date_to": "2030-06-05"}
    # when
    level1 = client.get("/api/v1/stats/od", {**window, "mesh_level": 1}).json()
    level3 = client.get("/api/v1/stats/od", {**window, "mesh_level": 3, "hour": 8}).json()
    geo = client.get("/api/v1/stats/od", {**window, "mesh_level": 3, "format": "geojson"})
    # then
    assert level1["rows"] == [
        {"origin": "5339", "destination": "5339", "trips": 30, "suppressed": False}
    ]
    assert level3["rows"] == [
        {
            "origin": "53394611",
            "destination": mesh_code(*SHINJUKU, 3),
            "trips": 30,
            "suppressed": False,
        }
    ]
    assert geo.status_code == 200
    assert geo["Content-Type"].startswith("application/geo+json")
    collection = geo.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["k"] == 10
    feature = collection["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == 5
    assert feature["properties"]["trips"] == 30


def test_csv_states_k_and_hides_suppressed_cells(
    crafted: dict[str, Any], city_analyst: User
) -> None:
    # when
    response = client_for(city_analyst).get(
        "/api/v1/stats/ridership",
        {"date_from": "2030-06-05", "date_to": "2030-06-05", "format": "csv"},
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0] == "# k=10"
    rows = list(csv.reader(io.StringIO(text.split("\n", 1)[1])))
    assert rows == [
        ["operator", "trips", "suppressed"],
        ["alpha", "", "true"],
        ["beta", "", "true"],
        ["gamma", "15", "false"],
    ]


def test_non_spatial_geojson_and_bad_params_are_400_and_write_no_aggregates(
    crafted: dict[str, Any], city_analyst: User
) -> None:
    client = client_for(city_analyst)
    before = RidershipHourly.objects.count()
    cases: list[tuple[str, dict[str, Any], str | None]] = [
        ("/api/v1/stats/ridership", {"format": "geojson"}, None),
        ("/api/v1/stats/ridership", {"group_by": "passenger"}, "group_by"),
        ("/api/v1/stats/od", {"mesh_level": 5}, "mesh_level"),
        ("/api/v1/stats/od", {"date_from": "2030-06-06", "date_to": "2030-06-05"}, None),
        ("/api/v1/stats/ondemand", {"format": "xml"}, None),
        ("/api/v1/stats/ondemand", {"format": "geojson"}, None),
        ("/api/v1/stats/bikeshare", {"date_from": "yesterday"}, "date_from"),
    ]
    for path, params, field in cases:
        response = client.get(path, params)
        assert response.status_code == 400, (path, params, response.content)
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["message"]
        if field:
            assert field in json.dumps(body["error"]["details"])
    assert RidershipHourly.objects.count() == before


def test_stats_refuse_anonymous_passenger_and_operator(
    api_client: Any, passenger: User, operator_member: User
) -> None:
    paths = [
        "/api/v1/stats/ridership",
        "/api/v1/stats/od",
        "/api/v1/stats/bikeshare",
        "/api/v1/stats/ondemand",
        "/api/v1/stats/datapackage",
        "/api/v1/stats/audit",
    ]
    for path in paths:
        assert api_client.get(path).status_code == 401
        assert client_for(passenger).get(path).status_code == 403
        assert client_for(operator_member).get(path).status_code == 403
    assert StatsPull.objects.count() == 0


def test_every_pull_is_audited_and_only_admins_read_the_log(
    crafted: dict[str, Any], city_analyst: User, admin_user: User
) -> None:
    client = client_for(city_analyst)
    # when
    client.get("/api/v1/stats/ridership", {"date_from": "2030-06-05", "date_to": "2030-06-05"})
    client.get("/api/v1/stats/od", {"mesh_level": 9})
    # then
    pulls = list(StatsPull.objects.order_by("id"))
    assert [(p.username, p.endpoint, p.status_code, p.row_count) for p in pulls] == [
        ("city-analyst", "/api/v1/stats/ridership", 200, 3),
        ("city-analyst", "/api/v1/stats/od", 400, 0),
    ]
    assert pulls[0].parameters == {"date_from": ["2030-06-05"], "date_to": ["2030-06-05"]}
    assert client.get("/api/v1/stats/audit").status_code == 403
    log = client_for(admin_user).get("/api/v1/stats/audit")
    assert log.status_code == 200
    assert [row["endpoint"] for row in log.json()] == [
        "/api/v1/stats/od",
        "/api/v1/stats/ridership",
    ]


# ------------------------------------------------------------------------ bike share
def _station(capacity: int | None = 10) -> Station:
    operator = OperatorFactory.create(slug="docomo", modes=["bikeshare"])
    version = FeedVersion.objects.create(operator=operator, kind="gbfs", status="active")
    system = GbfsSystem.objects.create(feed_version=version, operator=operator)
    return Station.objects.create(
        system=system, station_id="S1", name="Station 1", lat=35.68, lon=139.76, capacity=capacity
    )


def test_bike_pickups_returns_and_occupancy_from_the_history() -> None:
    # given: 5 bikes at 08:00, 3 at 08:10 (2 pick-ups), 6 at 08:20 (3 returns), 4 at 09:30
    station = _station()
    for minute, bikes in [(0, 5), (10, 3), (20, 6), (90, 4)]:
        StationStatusChange.objects.create(
            station=station,
            reported_at=dt.datetime(2030, 6, 5, 8, 0, tzinfo=JST) + dt.timedelta(minutes=minute),
            num_bikes_available=bikes,
            num_docks_available=10 - bikes,
            flags=7,
        )
    status_file = GbfsFile.objects.create(system=station.system, name="station_status")
    FetchLog.objects.create(
        file=status_file, fetched_at=dt.datetime(2030, 6, 5, 10, 0, tzinfo=JST), outcome="updated"
    )
    # when
    aggregates_compute(date_from=DAY, date_to=DAY)
    # then
    rows = {r.hour: r for r in BikeshareHourly.objects.filter(station="docomo:S1")}
    assert sorted(rows) == [8, 9]
    assert (rows[8].pickups, rows[8].returns, rows[8].observed_s) == (2, 3, 3600)
    # (5 x 10 min + 3 x 10 min + 6 x 40 min) / 60 min / 10 docks
    assert rows[8].occupancy == round((50 + 30 + 240) / 600, 4)
    assert (rows[9].pickups, rows[9].returns) == (2, 0)
    # (6 x 30 min + 4 x 30 min) / 60 min / 10 docks
    assert rows[9].occupancy == 0.5


# ------------------------------------------------------------------------ open data
def _assert_datapackage(descriptor: dict[str, Any], files: set[str]) -> None:
    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["k"] == 10
    names = [r["name"] for r in descriptor["resources"]]
    assert "ridership_by_operator" in names
    assert "od_mesh3" in names
    assert "bikeshare_stations" in names
    for resource in descriptor["resources"]:
        assert resource["path"] in files
        assert resource["profile"] == "tabular-data-resource"
        assert resource["format"] == "csv"
        assert resource["k"] == 10
        fields = resource["schema"]["fields"]
        assert fields
        for field in fields:
            assert set(field) == {"name", "type"}
            assert field["type"] in {"string", "integer", "number", "boolean"}


def test_export_open_data_writes_a_frictionless_package(
    crafted: dict[str, Any], tmp_path: Path
) -> None:
    # when
    call_command("export_open_data", str(tmp_path), "--from", "2030-06-05", "--to", "2030-06-05")
    # then
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    _assert_datapackage(descriptor, {p.name for p in tmp_path.iterdir()})
    with (tmp_path / "ridership_by_operator.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {"operator": "alpha", "trips": "", "suppressed": "true"},
        {"operator": "beta", "trips": "", "suppressed": "true"},
        {"operator": "gamma", "trips": "15", "suppressed": "false"},
    ]


def test_datapackage_api_serves_a_zip(crafted: dict[str, Any], city_analyst: User) -> None:
    # when
    response = client_for(city_analyst).get(
        "/api/v1/stats/datapackage", {"date_from": "2030-06-05", "date_to": "2030-06-05"}
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    _assert_datapackage(json.loads(archive.read("datapackage.json")), set(archive.namelist()))
    assert StatsPull.objects.get().endpoint == "/api/v1/stats/datapackage"


def test_passenger_says_tourist_or_resident(passenger: User) -> None:
    # when
    response = client_for(passenger).patch("/api/v1/me", {"visitor_type": "tourist"}, format="json")
    bad = client_for(passenger).patch("/api/v1/me", {"visitor_type": "alien"}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["visitor_type"] == "tourist"
    assert bad.status_code == 400
    passenger.refresh_from_db()
    assert passenger.visitor_type == VisitorType.TOURIST
