"""Stop search and departures, served from ACTIVE GTFS versions only."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import User
from operators.gtfs.selectors import feed_tables_for_version
from operators.models import FeedVersion
from tests.conftest import client_for
from tests.factories import OperatorFactory
from tests.operators.gtfs.conftest import BAD_FEEDS, Upload

pytestmark = pytest.mark.django_db


@pytest.mark.shared_data
def test_yamanashi_stop_search_by_name_and_near(
    admin_user: User, upload: Upload, api_client: APIClient, shared_data: Path
) -> None:
    # given
    OperatorFactory.create(slug="yamanashi-bus")
    upload(client_for(admin_user), "yamanashi-bus", shared_data / "gtfs-jp" / "yamanashi_gtfs.zip")

    # when
    by_name = api_client.get("/api/v1/stops", {"q": "甲府市役所"})
    near = api_client.get("/api/v1/stops", {"near": "35.6622,138.5685", "radius_m": "120"})

    # then
    assert by_name.json() == [
        {
            "id": "yamanashi-bus:P129",
            "name": "甲府市役所",
            "lat": 35.662038,
            "lon": 138.567759,
            "operator": "yamanashi-bus",
            "wheelchair_boarding": None,
            "distance_m": None,
        }
    ]
    assert [(s["id"], s["name"], s["distance_m"]) for s in near.json()] == [
        ("yamanashi-bus:P129", "甲府市役所", 69),
        ("yamanashi-bus:P131", "甲府警察署", 85),
        ("yamanashi-bus:P138", "県庁前", 114),
    ]


@pytest.mark.shared_data
def test_yamanashi_departures_at_a_fixed_time(
    admin_user: User, upload: Upload, api_client: APIClient, shared_data: Path
) -> None:
    # given: Monday 2019-06-03, when services "everyday", "233" and "319" run
    OperatorFactory.create(slug="yamanashi-bus")
    upload(client_for(admin_user), "yamanashi-bus", shared_data / "gtfs-jp" / "yamanashi_gtfs.zip")

    # when
    response = api_client.get(
        "/api/v1/stops/yamanashi-bus:P129/departures",
        {"at": "2019-06-03T08:00:00+09:00", "limit": "3"},
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["stop"] == {
        "id": "yamanashi-bus:P129",
        "name": "甲府市役所",
        "operator": "yamanashi-bus",
        "time_zone": "Asia/Tokyo",
    }
    assert [(d["time"], d["trip_id"]) for d in body["departures"]] == [
        ("2019-06-03T08:04:00+09:00", "yamanashi-bus:4853"),
        ("2019-06-03T08:06:00+09:00", "yamanashi-bus:4847"),
        ("2019-06-03T08:07:00+09:00", "yamanashi-bus:3252"),
    ]


@pytest.mark.shared_data
def test_stop_names_from_new_style_translations(
    admin_user: User, upload: Upload, api_client: APIClient, shared_data: Path
) -> None:
    # given: gunmachuo has translations.txt in ja-Hrkt and en
    OperatorFactory.create(slug="gunma-chuo")
    upload(client_for(admin_user), "gunma-chuo", shared_data / "gtfs-jp" / "gunmachuo_gtfs-jp.zip")

    # when: a search in kana finds the stop, and names come in the asked language
    kana = api_client.get("/api/v1/stops", {"q": "たかさきえき", "lang": "ja-Hrkt", "limit": "2"})
    ja = api_client.get("/api/v1/stops", {"q": "たかさきえき", "limit": "2"})

    # then
    assert [(s["id"], s["name"]) for s in kana.json()] == [
        ("gunma-chuo:g038_01", "たかさきえき"),
        ("gunma-chuo:g038_02", "たかさきえき"),
    ]
    assert [s["id"] for s in ja.json()][:1] == ["gunma-chuo:g038_01"]
    assert ja.json()[0]["name"] != "たかさきえき"


def test_departures_include_previous_service_day_after_midnight(
    operator_member: User, upload: Upload, api_client: APIClient
) -> None:
    # given: T2 runs on weekdays at 24:10 from S3; T1 ends at S3 (no departure there)
    upload(client_for(operator_member), "alpha-bus", BAD_FEEDS / "good_base.zip")

    # when: Tuesday 00:05, i.e. Monday's service day still running
    response = api_client.get(
        "/api/v1/stops/alpha-bus:S3/departures", {"at": "2025-06-03T00:05:00+09:00", "limit": "1"}
    )

    # then
    assert response.json()["departures"] == [
        {
            "time": "2025-06-03T00:10:00+09:00",
            "trip_id": "alpha-bus:T2",
            "headsign": "甲府駅",
            "route": {
                "id": "alpha-bus:R1",
                "short_name": "1",
                "long_name": "甲府駅循環",
                "type": 3,
            },
        }
    ]


def test_departures_outside_the_service_period_say_so(
    operator_member: User, upload: Upload, api_client: APIClient
) -> None:
    # given
    upload(client_for(operator_member), "alpha-bus", BAD_FEEDS / "good_base.zip")

    # when
    response = api_client.get(
        "/api/v1/stops/alpha-bus:S1/departures", {"at": "2030-01-07T08:00:00+09:00"}
    )

    # then
    body = response.json()
    assert body["departures"] == []
    assert body["notice"]["code"] == "date_outside_service_period"


def test_stop_endpoints_bad_input_and_unknown_stop(
    operator_member: User, upload: Upload, api_client: APIClient
) -> None:
    # given
    upload(client_for(operator_member), "alpha-bus", BAD_FEEDS / "good_base.zip")

    # when
    bad_near = api_client.get("/api/v1/stops", {"near": "35.6,north"})
    nothing = api_client.get("/api/v1/stops")
    unknown = api_client.get("/api/v1/stops/alpha-bus:NOPE/departures")
    other_operator = api_client.get("/api/v1/stops/beta-rail:S1/departures")

    # then
    assert bad_near.status_code == 400
    assert bad_near.json()["error"]["code"] == "invalid_coordinates"
    assert nothing.status_code == 400
    assert nothing.json()["error"]["code"] == "invalid_request"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert other_operator.status_code == 404


def test_feed_tables_for_version_returns_typed_frames(
    operator_member: User, upload: Upload
) -> None:
    # given
    version = upload(client_for(operator_member), "alpha-bus", BAD_FEEDS / "good_base.zip")

    # when
    tables = feed_tables_for_version(FeedVersion.objects.get(pk=version["id"]))

    # then
    assert sorted(tables) == [
        "calendar",
        "calendar_dates",
        "frequencies",
        "routes",
        "shapes",
        "stop_times",
        "stops",
        "transfers",
        "trips",
    ]
    st = tables["stop_times"]
    assert st[
        ["trip_id", "stop_sequence", "stop_id", "arrival_s", "departure_s"]
    ].values.tolist() == [
        ["T1", 1, "S1", 25200, 25200],
        ["T1", 2, "S2", 25800, 25800],
        ["T1", 3, "S3", 26400, 26400],
        ["T2", 1, "S3", 87000, 87000],
        ["T2", 2, "S1", 87900, 87900],
    ]
    assert tables["calendar"][
        ["service_id", "monday", "start_date", "end_date"]
    ].values.tolist() == [["WD", 1, 20250101, 20251231]]
