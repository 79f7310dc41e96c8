"""GBFS polling against a real local HTTP server serving the real Docomo Bike Share
Tokyo snapshots of 2022-06-29 in order (08:00, then one per minute to 08:59, then
18:00), then a 304, a 500, a timeout and malformed JSON."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from maas.accounts.models import User
from operators.gbfs.models import FetchLog, GbfsSystem, StationStatus, StationStatusChange
from operators.gbfs.services import gbfs_poll_due
from operators.models import FeedStatus, FeedVersion
from operators.services import feed_version_import
from tests.conftest import client_for
from tests.operators.gbfs.httpserver import GbfsServer, Scripted, gbfs_server

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

DOCOMO = "gbfs/docomo_cycle_tokyo_2022-06-29"


def _discovery(server: GbfsServer) -> bytes:
    # The Docomo folder has no gbfs.json and no system_information.json (SOURCES.md): the
    # test writes both, with the system's real name, and serves them with the real files.
    feeds = [
        {"name": name, "url": server.url(f"/{name}.json")}
        for name in ("system_information", "station_information", "station_status")
    ]
    return json.dumps(
        {
            "last_updated": 1656457211,
            "ttl": 3600,
            "version": "2.3",
            "data": {"ja": {"feeds": feeds}},
        }
    ).encode()


SYSTEM_INFORMATION = json.dumps(
    {
        "last_updated": 1656457211,
        "ttl": 3600,
        "version": "2.3",
        "data": {
            "system_id": "docomo-cycle-tokyo",
            "language": "ja",
            "name": "ドコモ・バイクシェア 東京",
            "timezone": "Asia/Tokyo",
        },
    },
    ensure_ascii=False,
).encode()


def _status(station_id: str) -> tuple[int, int | None, bool, bool]:
    status = StationStatus.objects.get(station__station_id=station_id)
    return (
        status.num_bikes_available,
        status.num_docks_available,
        status.is_renting,
        status.is_returning,
    )


def test_polls_the_docomo_snapshots_in_order_then_304_500_timeout_malformed(
    shared_data: Path, operator_member: User, settings: Any
) -> None:
    # given: a real server with the discovery, system_information, the real
    # station_information (1,077 stations) and the 08:00 station_status
    folder = shared_data / DOCOMO
    per_minute = zipfile.ZipFile(folder / "station_status_0800-0859_per_minute.zip")
    minutes = sorted(per_minute.namelist())
    settings.GBFS_HTTP_TIMEOUT_S = 0.5
    with gbfs_server() as server:
        server.queue("/gbfs.json", Scripted(body=_discovery(server), etag='"d1"'))
        server.queue("/system_information.json", Scripted(body=SYSTEM_INFORMATION, etag='"s1"'))
        server.queue(
            "/station_information.json",
            Scripted(body=(folder / "station_information.json").read_bytes(), etag='"i1"'),
        )
        server.queue(
            "/station_status.json",
            Scripted(body=(folder / "station_status_0800.json").read_bytes(), etag='"m00"'),
        )

        # when: the operator registers the discovery URL and the import runs
        response = client_for(operator_member).post(
            "/api/v1/operators/alpha-bus/feeds",
            {"kind": "gbfs", "url": server.url("/gbfs.json")},
            format="json",
        )
        assert response.status_code == 202
        feed_version = feed_version_import(feed_version_id=response.json()["id"])

        # then: active after the first good fetch, with exact counts and availability
        assert feed_version.status == FeedStatus.ACTIVE
        assert feed_version.counts == {
            "stations": 1077,
            "station_status": 1077,
            "vehicles": 0,
            "vehicle_types": 0,
            "geofencing_zones": 0,
            "pricing_plans": 0,
        }
        assert feed_version.meta["gbfs_version"] == "2.3"
        system = GbfsSystem.objects.get(feed_version=feed_version)
        assert (system.name, system.system_id) == (
            "ドコモ・バイクシェア 東京",
            "docomo-cycle-tokyo",
        )
        assert _status("00010001") == (1, 6, True, True)
        assert _status("00010003") == (4, 3, True, True)
        assert StationStatusChange.objects.count() == 1077

        # when: the 59 further per-minute snapshots are served, one per poll
        start = timezone.now()
        clock = start
        for index, name in enumerate(minutes[1:], start=1):
            server.replace(
                "/station_status.json",
                Scripted(body=per_minute.read(name), etag=f'"m{index:02d}"'),
            )
            clock += dt.timedelta(seconds=61)
            outcomes = gbfs_poll_due(now=clock)
            assert sorted(outcomes.values()) == ["not_modified", "updated"]

        # then: the 08:59 availability, and one history row per station per change
        assert _status("00010001") == (1, 7, True, True)
        assert _status("00010003") == (8, 0, True, False)
        assert _status("00010138") == (3, 2, True, True)
        assert StationStatusChange.objects.count() == 10783
        assert FetchLog.objects.filter(file__name="station_status").count() == 60
        status_requests = [h for p, h in server.requests if p == "/station_status.json"]
        assert status_requests[-1]["If-None-Match"] == '"m58"'

        # when: the 18:00 snapshot (1,078 entries, 3 of unknown stations, 2 stations missing)
        server.replace(
            "/station_status.json",
            Scripted(body=(folder / "station_status_1800.json").read_bytes(), etag='"e18"'),
        )
        clock += dt.timedelta(seconds=61)
        gbfs_poll_due(now=clock)

        # then
        assert _status("00010001") == (0, 7, False, True)
        assert _status("00010003") == (1, 6, True, True)
        assert StationStatus.objects.count() == 1077 - 2
        assert StationStatusChange.objects.count() == 11720
        status_file = system.files.get(name="station_status")
        assert status_file.last_updated == dt.datetime(2022, 6, 29, 9, 0, 4, tzinfo=dt.UTC)

        # when: the server answers 304 (same ETag as the 18:00 file)
        clock += dt.timedelta(seconds=61)
        outcomes = gbfs_poll_due(now=clock)

        # then: nothing changed
        assert sorted(outcomes.values()) == ["not_modified", "not_modified"]
        assert StationStatusChange.objects.count() == 11720
        assert _status("00010001") == (0, 7, False, True)
        system.refresh_from_db()
        assert system.stale_reason == ""

        # when / then: a 500, a timeout and malformed JSON each mark the feed stale with
        # the reason and keep the last good state
        failures = [
            (Scripted(status=500, body=b"oops"), "station_status: HTTP 500"),
            (
                Scripted(body=b"{}", delay_s=1.5, etag='"slow"'),
                "station_status: timeout after 0.5 s",
            ),
            (
                Scripted(body=b'{"last_updated": 1656493300, "data": {"stations": [', etag='"x"'),
                "station_status: malformed_json: Not valid JSON: Expecting value at line 1 "
                "column 52.",
            ),
        ]
        for scripted, reason in failures:
            server.replace("/station_status.json", scripted)
            clock += dt.timedelta(seconds=61)
            outcomes = gbfs_poll_due(now=clock)
            assert outcomes[status_file.pk] == "failed"
            system.refresh_from_db()
            assert system.stale_reason == reason
            assert _status("00010001") == (0, 7, False, True)
            assert StationStatus.objects.count() == 1075
            assert StationStatusChange.objects.count() == 11720
        assert list(
            FetchLog.objects.filter(file__name="station_status", outcome="failed")
            .order_by("pk")
            .values_list("http_status", flat=True)
        ) == [500, None, 200]

        # when: a good file again
        server.replace(
            "/station_status.json",
            Scripted(body=(folder / "station_status_0800.json").read_bytes(), etag='"m00b"'),
        )
        clock += dt.timedelta(seconds=61)
        gbfs_poll_due(now=clock)

        # then: fresh again
        system.refresh_from_db()
        assert (system.stale_reason, system.stale_since) == ("", None)
        assert _status("00010001") == (1, 6, True, True)
        assert FeedVersion.objects.get(pk=feed_version.pk).status == FeedStatus.ACTIVE
