"""The GBFS importer: a feed version of kind gbfs is one registered system, either a
gbfs.json discovery URL (fetched now, then polled) or a bundle of files the operator
pushed (a zip of *.json, or one JSON file). The version becomes active after the first
good read of every file."""

from __future__ import annotations

import json
import zipfile
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.utils import timezone

from operators.gbfs.fetch import fetch
from operators.gbfs.models import GbfsSystem
from operators.gbfs.parsing import (
    IGNORED_FILES,
    KNOWN_FILES,
    ParsedSystem,
    decode_json,
    file_label,
    file_name_infer,
    parse_file,
)
from operators.gbfs.services import gbfs_system_create
from operators.models import FeedVersion
from operators.validation import FeedRejected, IssueCollector


class GbfsImporter:
    def validate(self, *, feed_version: FeedVersion, issues: IssueCollector) -> object | None:
        """Read the discovery URL (and every file it lists that we read) or the pushed
        bundle; check each file, collecting every problem."""
        if feed_version.source_url:
            raw = _read_from_url(feed_version.source_url, issues)
        else:
            raw = _read_bundle(feed_version, issues)
        if raw is None:
            return None
        parsed = ParsedSystem(discovery_url=feed_version.source_url)
        for name, (body, url, validators) in raw.items():
            payload = decode_json(body, name=name, issues=issues)
            if payload is None:
                continue
            parsed_file = parse_file(name, payload, issues)
            if parsed_file is not None:
                parsed.files[name] = parsed_file
                if url:
                    parsed.urls[name] = url
                    parsed.validators[name] = validators
        if "system_information" not in raw:
            issues.error(
                "missing_required_file",
                "system_information is required.",
                file=file_label("system_information"),
            )
        _cross_check(parsed, issues)
        return parsed

    def load(
        self, *, feed_version: FeedVersion, parsed: object, issues: IssueCollector
    ) -> dict[str, int]:
        assert isinstance(parsed, ParsedSystem)  # noqa: S101 - validate returned it
        return gbfs_system_create(feed_version=feed_version, parsed=parsed, now=timezone.now())

    def purge(self, *, feed_version: FeedVersion) -> None:
        GbfsSystem.objects.filter(feed_version=feed_version).delete()


RawFiles = dict[str, tuple[bytes, str, tuple[str, str]]]


def _read_from_url(url: str, issues: IssueCollector) -> RawFiles | None:
    result = fetch(url)
    if not result.ok:
        issues.error(
            "fetch_failed", f"Could not fetch {url}: {result.error}.", file=file_label("gbfs")
        )
        return None
    raw: RawFiles = {"gbfs": (result.body, url, (result.etag, result.last_modified))}
    payload = decode_json(result.body, name="gbfs", issues=IssueCollector())
    if file_name_infer(payload) != "gbfs":
        issues.error(
            "invalid_discovery_file",
            "The URL does not answer a gbfs.json discovery file (data.feeds or data.<lang>.feeds).",
            file=file_label("gbfs"),
        )
        return None
    discovery = parse_file("gbfs", payload, issues)
    if discovery is None:
        return None
    for record in discovery.records:
        name = record["name"]
        if name not in KNOWN_FILES or name == "gbfs" or name in raw:
            continue
        if not record["url"].startswith(("http://", "https://")):
            issues.error(
                "invalid_url", f"{record['url']!r} is not an http(s) URL.", file=file_label(name)
            )
            continue
        fetched = fetch(record["url"])
        if not fetched.ok:
            issues.error(
                "fetch_failed",
                f"Could not fetch {record['url']}: {fetched.error}.",
                file=file_label(name),
            )
            continue
        raw[name] = (fetched.body, record["url"], (fetched.etag, fetched.last_modified))
    return raw


def _read_bundle(feed_version: FeedVersion, issues: IssueCollector) -> RawFiles | None:
    limit = settings.GBFS_MAX_FILE_BYTES
    with feed_version.source_file.open("rb") as fh:
        if not zipfile.is_zipfile(fh):
            fh.seek(0)
            body = fh.read(limit + 1)
            return _single_file(body, issues)
        fh.seek(0)
        raw: RawFiles = {}
        with zipfile.ZipFile(fh) as bundle:
            for info in bundle.infolist():
                if info.is_dir():
                    continue
                path = PurePosixPath(info.filename)
                if path.is_absolute() or ".." in path.parts:
                    issues.error(
                        "unsafe_path_in_zip",
                        f"{info.filename!r} is an absolute or parent-relative path.",
                        file=info.filename,
                    )
                    raise FeedRejected()
                name = path.stem if path.suffix == ".json" else path.name
                if name not in KNOWN_FILES:
                    if name not in IGNORED_FILES and not name.startswith("."):
                        issues.warning(
                            "unknown_file", "Not a GBFS file we read; ignored.", file=path.name
                        )
                    continue
                if name in raw:
                    issues.error(
                        "duplicate_file", f"{path.name} appears twice.", file=info.filename
                    )
                    continue
                if info.file_size > limit:
                    issues.error(
                        "file_too_large",
                        f"{info.file_size} bytes; the limit is {limit}.",
                        file=path.name,
                    )
                    continue
                raw[name] = (bundle.read(info), "", ("", ""))
    if not raw:
        issues.error("missing_required_file", "The bundle holds no GBFS file.")
        return None
    return raw


def _single_file(body: bytes, issues: IssueCollector) -> RawFiles | None:
    try:
        payload: Any = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        issues.error("invalid_file", "Neither a zip of GBFS files nor one GBFS JSON file.")
        return None
    name = file_name_infer(payload)
    if name is None:
        issues.error("invalid_file", "The JSON file is not a GBFS file.")
        return None
    return {name: (body, "", ("", ""))}


def _cross_check(parsed: ParsedSystem, issues: IssueCollector) -> None:
    info = parsed.files.get("station_information")
    status = parsed.files.get("station_status")
    if status is not None and info is None:
        issues.warning(
            "missing_recommended_file",
            "station_status without station_information: statuses cannot be placed.",
            file=file_label("station_information"),
        )
    if status is not None and info is not None:
        known = {r["station_id"] for r in info.records}
        for record in status.records:
            if record["station_id"] not in known:
                issues.warning(
                    "foreign_key_violation",
                    f"station_id {record['station_id']!r} is not in station_information; "
                    "its status is skipped.",
                    file=file_label("station_status"),
                    row=record["row"],
                    field="station_id",
                )
    types = parsed.files.get("vehicle_types")
    type_ids = {r["vehicle_type_id"] for r in types.records} if types else set()
    for name in ("free_bike_status", "vehicle_status"):
        vehicles = parsed.files.get(name)
        if vehicles is None or types is None:
            continue
        for row, record in enumerate(vehicles.records, start=1):
            if record["vehicle_type_id"] and record["vehicle_type_id"] not in type_ids:
                issues.warning(
                    "foreign_key_violation",
                    f"vehicle_type_id {record['vehicle_type_id']!r} is not in vehicle_types.",
                    file=file_label(name),
                    row=row,
                    field="vehicle_type_id",
                )
