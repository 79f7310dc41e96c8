"""Polling details on a small hand-made system served by a real local HTTP server."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from maas.celery import app
from operators.gbfs.models import GbfsSystem, StationStatus
from operators.gbfs.services import gbfs_files_claim_due, gbfs_poll_due
from operators.models import FeedKind, FeedStatus
from operators.services import feed_version_create, feed_version_import
from tests.factories import OperatorFactory
from tests.operators.gbfs.httpserver import GbfsServer, Scripted, gbfs_server

pytestmark = pytest.mark.django_db


def _body(data: dict[str, object], ttl: int) -> str:
    return json.dumps({"last_updated": 1767225600, "ttl": ttl, "version": "3.0", "data": data})


def _serve_small_system(server: GbfsServer) -> None:
    feeds = [
        {"name": n, "url": server.url(f"/{n}.json")}
        for n in ("system_information", "station_information", "station_status")
    ]
    server.queue("/gbfs.json", Scripted(body=_body({"feeds": feeds}, 3600).encode()))
    server.queue(
        "/system_information.json",
        Scripted(
            body=_body(
                {
                    "system_id": "s",
                    "languages": ["ja"],
                    "name": [{"text": "小さな", "language": "ja"}],
                    "timezone": "Asia/Tokyo",
                },
                3600,
            ).encode()
        ),
    )
    server.queue(
        "/station_information.json",
        Scripted(
            body=_body(
                {
                    "stations": [
                        {
                            "station_id": "a",
                            "name": [{"text": "甲府駅", "language": "ja"}],
                            "lat": 35.6662,
                            "lon": 138.5686,
                        }
                    ]
                },
                3600,
            ).encode()
        ),
    )
    server.queue(
        "/station_status.json",
        Scripted(
            body=_body(
                {
                    "stations": [
                        {
                            "station_id": "a",
                            "num_vehicles_available": 3,
                            "num_docks_available": 2,
                            "is_installed": True,
                            "is_renting": True,
                            "is_returning": True,
                            "last_reported": "2026-01-01T00:00:00+00:00",
                        }
                    ]
                },
                0,
            ).encode()
        ),
    )


def _register(url: str) -> GbfsSystem:
    operator = OperatorFactory.create(slug="small-bike")
    feed_version = feed_version_create(
        operator=operator, kind=FeedKind.GBFS, source_url=url, enqueue=False
    )
    feed_version = feed_version_import(feed_version_id=feed_version.pk)
    assert feed_version.status == FeedStatus.ACTIVE
    return GbfsSystem.objects.get(feed_version=feed_version)


def test_v3_names_ttl_floor_and_single_claim() -> None:
    with gbfs_server() as server:
        # given: station_status has ttl 0
        _serve_small_system(server)
        system = _register(server.url("/gbfs.json"))
        now = timezone.now()

        # then: v3 localized names, v3 counts; ttl 0 is polled every 10 s, not faster
        assert system.name == "小さな"
        assert system.stations.get().name == "甲府駅"
        assert StationStatus.objects.get().num_bikes_available == 3
        status_file = system.files.get(name="station_status")
        assert status_file.ttl_s == 0
        assert gbfs_files_claim_due(now=now + dt.timedelta(seconds=9)) == []
        # when: two dispatchers run at the same moment
        first = gbfs_files_claim_due(now=now + dt.timedelta(seconds=11))
        second = gbfs_files_claim_due(now=now + dt.timedelta(seconds=11))

    # then: the file is claimed once
    assert first == [status_file.pk]
    assert second == []


def test_a_dead_url_marks_the_feed_stale_and_keeps_the_state() -> None:
    # given: a registered system whose server then goes away
    with gbfs_server() as server:
        _serve_small_system(server)
        system = _register(server.url("/gbfs.json"))

    # when
    outcomes = gbfs_poll_due(now=timezone.now() + dt.timedelta(hours=2))

    # then
    assert sorted(outcomes.values()) == ["failed"] * 4
    system.refresh_from_db()
    reasons = system.stale_reason.split("; ")
    assert [r.split(":")[0] for r in reasons] == [
        "gbfs",
        "station_information",
        "station_status",
        "system_information",
    ]
    netloc = server.base_url.removeprefix("http://")
    assert {r.split(": ", 1)[1] for r in reasons} == {
        f"ConnectionError: cannot connect to {netloc}"
    }
    assert StationStatus.objects.get().num_bikes_available == 3


def test_a_wrong_file_at_the_status_url_does_not_wipe_the_live_state() -> None:
    with gbfs_server() as server:
        # given
        _serve_small_system(server)
        system = _register(server.url("/gbfs.json"))
        server.replace(
            "/station_status.json",
            Scripted(body=_body({"stations": [{"station_id": "a", "name": "x"}]}, 0).encode()),
        )

        # when
        gbfs_poll_due(now=timezone.now() + dt.timedelta(seconds=11))

    # then
    system.refresh_from_db()
    assert system.stale_reason == (
        "station_status: missing_required_field: num_bikes_available is required."
    )
    assert StationStatus.objects.get().num_bikes_available == 3


def test_the_beat_schedule_polls_gbfs_every_10_s() -> None:
    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert app.conf.beat_schedule["gbfs-poll-due"]["task"] == "gbfs.poll_due"
    assert app.conf.beat_schedule["gbfs-poll-due"]["schedule"] == 10.0
    assert "gbfs.poll_due" in app.tasks


def test_registering_a_dead_url_fails_and_creates_no_system() -> None:
    # given: a server that is already gone
    with gbfs_server() as server:
        url = server.url("/gbfs.json")

    # when
    operator = OperatorFactory.create(slug="dead-bike")
    feed_version = feed_version_create(
        operator=operator, kind=FeedKind.GBFS, source_url=url, enqueue=False
    )
    feed_version = feed_version_import(feed_version_id=feed_version.pk)

    # then
    assert feed_version.status == FeedStatus.FAILED
    assert [(e["code"], e["file"]) for e in feed_version.report["errors"]] == [
        ("fetch_failed", "gbfs.json")
    ]
    assert GbfsSystem.objects.count() == 0


def test_a_discovery_listing_a_broken_file_fails_with_every_issue() -> None:
    with gbfs_server() as server:
        # given: station_information with a duplicate id and swapped coordinates,
        # station_status that is not JSON
        _serve_small_system(server)
        server.replace(
            "/station_information.json",
            Scripted(
                body=_body(
                    {
                        "stations": [
                            {"station_id": "a", "name": "A", "lat": 35.6, "lon": 138.5},
                            {"station_id": "a", "name": "B", "lat": 35.6, "lon": 138.5},
                            {"station_id": "c", "name": "C", "lat": 138.5, "lon": 35.6},
                        ]
                    },
                    60,
                ).encode()
            ),
        )
        server.replace("/station_status.json", Scripted(body=b"<html>502</html>"))
        operator = OperatorFactory.create(slug="broken-bike")
        feed_version = feed_version_create(
            operator=operator,
            kind=FeedKind.GBFS,
            source_url=server.url("/gbfs.json"),
            enqueue=False,
        )

        # when
        feed_version = feed_version_import(feed_version_id=feed_version.pk)

    # then
    assert feed_version.status == FeedStatus.FAILED
    assert [
        (e["code"], e["file"], e["row"], e["field"]) for e in feed_version.report["errors"]
    ] == [
        ("duplicate_key", "station_information.json", 2, "station_id"),
        ("number_out_of_range", "station_information.json", 3, "lat"),
        ("malformed_json", "station_status.json", None, None),
    ]
    assert GbfsSystem.objects.count() == 0
