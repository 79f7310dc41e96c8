"""POST /api/v1/operators/{slug}/gbfs/push and GET /api/v1/bikeshare/stations."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import User
from operators.gbfs.models import FetchLog, StationStatus, StationStatusChange
from operators.models import FeedStatus, FeedVersion, Operator
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PUSH = "/api/v1/operators/alpha-bus/gbfs/push"


def _file(data: dict[str, Any], *, ttl: int = 60, last_updated: int | None = None) -> bytes:
    body = {
        "last_updated": int(time.time()) if last_updated is None else last_updated,
        "ttl": ttl,
        "version": "2.3",
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False).encode()


SYSTEM = {"system_id": "alpha", "language": "ja", "name": "アルファ", "timezone": "Asia/Tokyo"}
STATIONS = {
    "stations": [
        {
            "station_id": "kofu",
            "name": "甲府駅南口",
            "lat": 35.6667,
            "lon": 138.5686,
            "capacity": 10,
        },
        {
            "station_id": "castle",
            "name": "舞鶴城公園",
            "lat": 35.6635,
            "lon": 138.5712,
            "capacity": 8,
        },
        {"station_id": "far", "name": "遠い", "lat": 35.70, "lon": 138.60, "capacity": 5},
    ]
}


def _status(station_id: str, bikes: int, docks: int) -> dict[str, Any]:
    return {
        "station_id": station_id,
        "num_bikes_available": bikes,
        "num_docks_available": docks,
        "is_installed": True,
        "is_renting": True,
        "is_returning": True,
        "last_reported": 1767225600,
    }


def _push(client: APIClient, body: bytes, file: str | None = None) -> Any:
    url = PUSH + (f"?file={file}" if file else "")
    return client.post(url, body, content_type="application/json")


def test_push_registers_a_system_then_updates_live_availability(
    operator_member: User, api_client: APIClient
) -> None:
    # given
    client = client_for(operator_member)

    # when
    first = _push(client, _file(SYSTEM))
    second = _push(client, _file(STATIONS))
    third = _push(
        client,
        _file({"stations": [_status("kofu", 4, 6), _status("castle", 0, 8), _status("far", 5, 0)]}),
        file="station_status",
    )
    fourth = _push(
        client,
        _file({"stations": [_status("kofu", 3, 7), _status("castle", 0, 8), _status("far", 5, 0)]}),
    )

    # then
    assert first.status_code == 201
    feed_version = FeedVersion.objects.get(kind="gbfs")
    assert feed_version.status == FeedStatus.ACTIVE
    assert first.json() == {
        "file": "system_information",
        "changed": 1,
        "feed_version": feed_version.pk,
        "warnings": [],
    }
    assert second.status_code == 200
    assert second.json()["file"] == "station_information"
    assert third.json() == {
        "file": "station_status",
        "changed": 3,
        "feed_version": feed_version.pk,
        "warnings": [],
    }
    assert fourth.json()["changed"] == 1
    assert StationStatus.objects.get(station__station_id="kofu").num_bikes_available == 3
    assert StationStatusChange.objects.count() == 4
    assert FetchLog.objects.filter(outcome="pushed").count() == 4

    # when: a passenger app asks for stations near JR Kofu Station
    stations = api_client.get("/api/v1/bikeshare/stations?near=35.6668,138.5688&radius_m=800")

    # then: nearest first, the far one outside the radius
    assert stations.status_code == 200
    assert [
        (s["id"], s["name"], s["bikes_available"], s["docks_available"], s["stale"])
        for s in stations.json()
    ] == [
        ("alpha-bus:kofu", "甲府駅南口", 3, 7, False),
        ("alpha-bus:castle", "舞鶴城公園", 0, 8, False),
    ]
    assert stations.json()[0]["last_reported"] == "2026-01-01T09:00:00+09:00"
    assert stations.json()[0]["distance_m"] == 21


def test_old_data_is_stale(operator_member: User, api_client: APIClient) -> None:
    # given: a status published two hours ago with a ttl of 60 s
    client = client_for(operator_member)
    _push(client, _file(SYSTEM))
    _push(client, _file(STATIONS))
    _push(
        client, _file({"stations": [_status("kofu", 4, 6)]}, last_updated=int(time.time()) - 7200)
    )

    # when
    stations = api_client.get("/api/v1/bikeshare/stations?near=35.6667,138.5686&radius_m=100")

    # then
    assert [(s["id"], s["stale"]) for s in stations.json()] == [("alpha-bus:kofu", True)]


@pytest.mark.parametrize(
    ("body", "file", "code", "field"),
    [
        (b'{"data": {', None, "malformed_json", "body"),
        (_file(SYSTEM), "station_statuz", "unknown_gbfs_file", "file"),
        (_file({"foo": []}), None, "unknown_gbfs_file", "file"),
        (
            _file({"stations": [{"station_id": "kofu", "num_docks_available": 3}]}),
            "station_status",
            "invalid_gbfs_file",
            "num_bikes_available",
        ),
        (
            _file({"stations": [{"station_id": "x", "name": "x", "lat": 135.0, "lon": 35.0}]}),
            "station_information",
            "invalid_gbfs_file",
            "lat",
        ),
    ],
)
def test_push_bad_input_is_400_naming_the_field(
    operator_member: User, body: bytes, file: str | None, code: str, field: str
) -> None:
    # given
    client = client_for(operator_member)
    _push(client, _file(SYSTEM))
    _push(client, _file(STATIONS))
    before = StationStatusChange.objects.count()

    # when
    response = _push(client, body, file)

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"]) == (code, field)
    assert error["message"].startswith(f"{field}: ")
    assert StationStatusChange.objects.count() == before
    assert FetchLog.objects.count() == 2


def test_push_larger_than_the_limit_is_413(operator_member: User, settings: Any) -> None:
    # given
    settings.GBFS_MAX_FILE_BYTES = 100

    # when
    response = _push(client_for(operator_member), _file(STATIONS))

    # then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert FeedVersion.objects.count() == 0


def test_push_without_a_system_is_409(operator_member: User) -> None:
    # when
    response = _push(client_for(operator_member), _file({"stations": [_status("a", 1, 1)]}))

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_active_gbfs_system"
    assert FeedVersion.objects.count() == 0


def test_push_to_another_operator_is_404(operator_member: User, operator_b: Operator) -> None:
    # when
    response = client_for(operator_member).post(
        "/api/v1/operators/beta-rail/gbfs/push", _file(SYSTEM), content_type="application/json"
    )

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert FeedVersion.objects.count() == 0


def test_push_by_a_passenger_is_403(passenger: User, operator_a: Operator) -> None:
    # when
    response = _push(client_for(passenger), _file(SYSTEM))

    # then
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert FeedVersion.objects.count() == 0


@pytest.mark.parametrize("near", ["35.6", "abc,138.5", "95,138.5", "35.6,200", ""])
def test_stations_bad_near_is_400(api_client: APIClient, near: str) -> None:
    # when
    response = api_client.get(f"/api/v1/bikeshare/stations?near={near}")

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert list(error["details"]["fields"]) == ["near"]


@pytest.mark.redis
def test_live_availability_is_mirrored_to_redis(
    operator_member: User, django_capture_on_commit_callbacks: Any
) -> None:
    import redis
    from django.conf import settings

    from operators.gbfs.services import redis_station_status_key

    # given
    client = client_for(operator_member)
    _push(client, _file(SYSTEM))
    _push(client, _file(STATIONS))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _push(client, _file({"stations": [_status("kofu", 4, 6), _status("castle", 1, 7)]}))

    # then
    stored = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True).hgetall(
        redis_station_status_key(operator_slug="alpha-bus")
    )
    assert {str(k): json.loads(v) for k, v in stored.items()} == {
        "kofu": {
            "bikes_available": 4,
            "docks_available": 6,
            "is_renting": True,
            "is_returning": True,
            "last_reported": "2026-01-01T00:00:00+00:00",
        },
        "castle": {
            "bikes_available": 1,
            "docks_available": 7,
            "is_renting": True,
            "is_returning": True,
            "last_reported": "2026-01-01T00:00:00+00:00",
        },
    }
