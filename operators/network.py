"""Build the routing network snapshot from the active feed versions.

Lives beside the feed data it reads (ARCHITECTURE.md) so that activation can trigger it
without reaching into `maas`. `maas.trips` only loads what this writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import zoneinfo
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from operators.gbfs.models import Station
from operators.gtfs import models as gtfs_models
from operators.gtfs.selectors import feed_tables_for_version, feed_time_zone, names_in
from operators.models import (
    FeedKind,
    FeedStatus,
    FeedVersion,
    NetworkSnapshot,
    SnapshotStatus,
)
from routing.network import BikeStation, FlexZone
from routing.snapshot import Names, snapshot_build, snapshot_save
from routing.streets import StreetNetwork, street_network_from_pbf
from routing.tables import FeedTables

logger = logging.getLogger(__name__)

ROUTED_KINDS = (FeedKind.GTFS, FeedKind.GTFS_FLEX)
# Languages served besides the feeds' own text (API.md: ja, en, ja-Hrkt).
NAME_LANGUAGES = ("ja", "en", "ja-Hrkt")


class SnapshotBuildError(Exception):
    """The active feeds cannot be compiled into one network (the reason says why)."""


def horizon_dates() -> list[dt.date]:
    """The service dates a snapshot covers (settings SNAPSHOT_HORIZON_*)."""
    start_setting = settings.SNAPSHOT_HORIZON_START
    if start_setting == "today":
        start = timezone.now().astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    else:
        start = dt.date.fromisoformat(start_setting)
    return [start + dt.timedelta(days=i) for i in range(settings.SNAPSHOT_HORIZON_DAYS)]


@lru_cache(maxsize=8)
def _street_network(path: str) -> StreetNetwork:
    # Reading an extract takes seconds; builds in one worker process reuse it.
    return street_network_from_pbf(path)


def _feed_id(version: FeedVersion, routed: list[FeedVersion]) -> str:
    """The id namespace of a version: the operator slug (API ids are
    "<operator>:<stop_id>"), with a suffix when an operator has GTFS and GTFS-Flex active."""
    same_operator = [v for v in routed if v.operator_id == version.operator_id]
    if len(same_operator) > 1 and version.kind == FeedKind.GTFS_FLEX:
        return f"{version.operator.slug}.flex"
    return version.operator.slug


def _names(version: FeedVersion, feed_id: str, tables: FeedTables) -> Names:
    names: Names = {}
    sources = (
        ("stop", "stops", "stop_name", tables.stops, "stop_id", "stop_name"),
        (
            "route_short_name",
            "routes",
            "route_short_name",
            tables.routes,
            "route_id",
            "route_short_name",
        ),
        (
            "route_long_name",
            "routes",
            "route_long_name",
            tables.routes,
            "route_id",
            "route_long_name",
        ),
        ("headsign", "trips", "trip_headsign", tables.trips, "trip_id", "trip_headsign"),
    )
    for language in NAME_LANGUAGES:
        for kind, table, field, frame, id_col, text_col in sources:
            records = list(zip(frame[id_col].astype(str), frame[text_col].astype(str), strict=True))
            translated = names_in(
                feed_version_id=version.pk,
                table=table,
                field=field,
                records=records,
                language=language,
            )
            own = dict(records)
            changed = {
                f"{feed_id}:{key}": text for key, text in translated.items() if text != own[key]
            }
            if changed:
                names.setdefault(language, {}).setdefault(kind, {}).update(changed)
    return names


def _bike_stations() -> list[BikeStation]:
    rows = Station.objects.filter(system__feed_version__status=FeedStatus.ACTIVE).values_list(
        "system__operator__slug", "station_id", "name", "lat", "lon", "capacity"
    )
    return [
        BikeStation(f"{slug}:{station_id}", name, lat, lon, capacity)
        for slug, station_id, name, lat, lon, capacity in rows
    ]


def _flex_zones(versions: dict[int, str]) -> list[FlexZone]:
    rows = gtfs_models.Location.objects.filter(feed_version_id__in=list(versions)).values_list(
        "feed_version_id", "location_id", "stop_name", "geometry"
    )
    return [
        FlexZone(f"{versions[fv]}:{location_id}", name or location_id, geometry)
        for fv, location_id, name, geometry in rows
    ]


def network_snapshot_build(*, force: bool = False) -> NetworkSnapshot:
    """Compile the active GTFS/GTFS-Flex versions (plus bike stations and flex zones) into a
    new snapshot and make it the one served. Returns the existing ready snapshot when the
    active set has not changed (unless `force`). A failure is recorded on a failed
    NetworkSnapshot and leaves the previous one serving."""
    routed = list(
        FeedVersion.objects.filter(status=FeedStatus.ACTIVE, kind__in=ROUTED_KINDS)
        .select_related("operator")
        .order_by("id")
    )
    # GBFS versions count too: their stations are nodes of the graph.
    bikes = FeedVersion.objects.filter(status=FeedStatus.ACTIVE, kind=FeedKind.GBFS)
    ids = sorted([v.pk for v in routed] + list(bikes.values_list("id", flat=True)))
    current = NetworkSnapshot.objects.filter(status=SnapshotStatus.READY).first()
    if current is not None and current.feed_version_ids == ids and not force:
        return current
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:8]
    record = NetworkSnapshot.objects.create(version=f"{stamp}-{digest}", feed_version_ids=ids)
    log = {"snapshot": record.version, "feed_versions": ids}
    try:
        if not routed:
            raise SnapshotBuildError("no active GTFS or GTFS-Flex feed version to route on")
        feeds: list[FeedTables] = []
        names: Names = {}
        periods: dict[str, list[str | None]] = {}
        namespaces: dict[int, str] = {}
        for version in routed:
            feed_id = _feed_id(version, routed)
            namespaces[version.pk] = feed_id
            tables = FeedTables.build(
                feed_id, str(feed_time_zone(version)), **feed_tables_for_version(version)
            )
            feeds.append(tables)
            for language, kinds in _names(version, feed_id, tables).items():
                for kind, entries in kinds.items():
                    names.setdefault(language, {}).setdefault(kind, {}).update(entries)
            span = tables.service_dates()
            periods[feed_id] = [str(span[0]), str(span[1])] if span else [None, None]
        zones = {feed.timezone for feed in feeds}
        if len(zones) > 1:
            raise SnapshotBuildError(
                "active feeds are in different time zones "
                f"({', '.join(sorted(zones))}); one network serves one time zone"
            )
        snapshot = snapshot_build(
            feeds,
            horizon_dates(),
            version=record.version,
            street_networks=[_street_network(p) for p in settings.OSM_EXTRACTS],
            bike_stations=_bike_stations(),
            flex_zones=_flex_zones(namespaces),
            names=names,
            meta={
                "feed_versions": {feed_id: pk for pk, feed_id in namespaces.items()},
                "service_periods": periods,
            },
            walk_speed_mps=settings.ROUTING_WALK_SPEED_MPS,
            detour_factor=settings.ROUTING_DETOUR_FACTOR,
            max_footpath_m=settings.ROUTING_MAX_FOOTPATH_M,
        )
        path = snapshot_save(snapshot, Path(settings.SNAPSHOT_DIR))
    except Exception as exc:
        logger.exception("snapshot build failed", extra=log)
        reason = str(exc) if isinstance(exc, SnapshotBuildError | ValueError) else repr(exc)
        NetworkSnapshot.objects.filter(pk=record.pk).update(
            status=SnapshotStatus.FAILED, finished_at=timezone.now(), error=reason[:2000]
        )
        record.refresh_from_db()
        return record
    with transaction.atomic():
        NetworkSnapshot.objects.filter(status=SnapshotStatus.READY).update(
            status=SnapshotStatus.SUPERSEDED
        )
        NetworkSnapshot.objects.filter(pk=record.pk).update(
            status=SnapshotStatus.READY,
            path=str(path),
            finished_at=timezone.now(),
            meta=snapshot.meta,
        )
    record.refresh_from_db()
    logger.info("snapshot ready", extra={**log, "build_s": snapshot.meta["build_s"]})
    snapshots_retention_apply()
    return record


def snapshots_retention_apply() -> int:
    """Delete the files of superseded snapshots beyond the newest SNAPSHOT_KEEP (an API
    process still mapping one keeps its pages until it switches: unlinked files live on)."""
    old = NetworkSnapshot.objects.filter(status=SnapshotStatus.SUPERSEDED).order_by("-id")[
        max(settings.SNAPSHOT_KEEP - 1, 0) :
    ]
    removed = 0
    for snapshot in old:
        if snapshot.path and Path(snapshot.path).is_dir():
            shutil.rmtree(snapshot.path, ignore_errors=True)
            removed += 1
        NetworkSnapshot.objects.filter(pk=snapshot.pk).update(path="")
    return removed
