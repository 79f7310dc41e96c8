"""Helpers for the bike-share / on-demand plan tests: hand-made GTFS networks (written
here, where no real transit feed of the place is at hand) and GBFS bundles."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from operators.models import FeedStatus, FeedVersion, Operator
from operators.services import feed_version_create, feed_version_import, operator_create


def operator_get(slug: str) -> Operator:
    return Operator.objects.filter(slug=slug).first() or operator_create(slug=slug, name_ja=slug)


def line_gtfs(
    *,
    timezone: str,
    stops: list[tuple[str, str, float, float]],
    minutes_between: int,
    first_departure: str,
    trips: int,
    headway_min: int,
    start_date: str,
    end_date: str,
) -> bytes:
    """A one-line GTFS feed: `trips` trips every `headway_min` minutes along `stops`."""
    files = {
        "agency.txt": f"agency_id,agency_name,agency_url,agency_timezone\nA,Test line,"
        f"https://example.org,{timezone}\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(f"{i},{n},{lat},{lon}\n" for i, n, lat, lon in stops),
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        "L,A,L,Test line,1\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        f"start_date,end_date\nS,1,1,1,1,1,1,1,{start_date},{end_date}\n",
    }
    h, m = (int(x) for x in first_departure.split(":"))
    trip_rows, st_rows = [], []
    for t in range(trips):
        trip_rows.append(f"L,S,T{t}\n")
        for seq, (stop_id, *_rest) in enumerate(stops):
            total = h * 60 + m + t * headway_min + seq * minutes_between
            clock = f"{total // 60:02d}:{total % 60:02d}:00"
            st_rows.append(f"T{t},{clock},{clock},{stop_id},{seq + 1}\n")
    files["trips.txt"] = "route_id,service_id,trip_id\n" + "".join(trip_rows)
    files["stop_times.txt"] = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n" + (
        "".join(st_rows)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def import_bytes(slug: str, body: bytes, kind: str, name: str = "feed.zip") -> FeedVersion:
    version = feed_version_create(
        operator=operator_get(slug),
        kind=kind,
        upload=SimpleUploadedFile(name, body),
        enqueue=False,
    )
    version = feed_version_import(feed_version_id=version.pk)
    assert version.status == FeedStatus.ACTIVE, version.report
    return version


def import_path(slug: str, path: Path, kind: str) -> FeedVersion:
    return import_bytes(slug, path.read_bytes(), kind, path.name)


def gbfs_bundle(files: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            archive.writestr(name, text)
    return buffer.getvalue()


def import_gbfs(slug: str, files: dict[str, Any]) -> FeedVersion:
    version = feed_version_create(
        operator=operator_get(slug),
        kind="gbfs",
        upload=ContentFile(gbfs_bundle(files), name="gbfs.zip"),
        enqueue=False,
    )
    version = feed_version_import(feed_version_id=version.pk)
    assert version.status == FeedStatus.ACTIVE, version.report
    return version
