"""Write side of GBFS: create a system from an import, apply a file (from the first
import, a poll or a push), poll due files, mark a feed stale, accept a push."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from operators.gbfs.fetch import fetch
from operators.gbfs.models import (
    FetchLog,
    GbfsFile,
    GbfsSystem,
    GeofencingZone,
    PricingPlan,
    Station,
    StationHold,
    StationStatus,
    StationStatusChange,
    Vehicle,
    VehicleType,
)
from operators.gbfs.parsing import (
    FILE_ORDER,
    KNOWN_FILES,
    ParsedFile,
    ParsedSystem,
    decode_json,
    file_name_infer,
    parse_file,
)
from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.validation import Issue, IssueCollector

logger = logging.getLogger(__name__)

# Rows per INSERT: keeps a 1,077-station status file to a few statements on PostgreSQL
# and under SQLite's variable limit.
BULK_BATCH_SIZE = 500


def effective_ttl_s(ttl_s: int) -> int:
    """The ttl we poll at: the file's own, but never more often than GBFS_MIN_TTL_S."""
    return max(ttl_s, settings.GBFS_MIN_TTL_S)


def _flags(record: dict[str, Any]) -> int:
    return (
        (StationStatusChange.INSTALLED if record["is_installed"] else 0)
        | (StationStatusChange.RENTING if record["is_renting"] else 0)
        | (StationStatusChange.RETURNING if record["is_returning"] else 0)
    )


# ---------------------------------------------------------------------- applying files


def gbfs_system_create(
    *, feed_version: FeedVersion, parsed: ParsedSystem, now: dt.datetime
) -> dict[str, int]:
    """Create the system of a new feed version and apply every file read by the
    importer (inside the caller's transaction). Returns the row counts."""
    system = GbfsSystem.objects.create(
        feed_version=feed_version,
        operator=feed_version.operator,
        discovery_url=parsed.discovery_url,
        gbfs_version=parsed.gbfs_version,
    )
    for name in FILE_ORDER:
        if name in parsed.files:
            etag, last_modified = parsed.validators.get(name, ("", ""))
            gbfs_file_apply(
                system=system,
                parsed=parsed.files[name],
                now=now,
                url=parsed.urls.get(name, ""),
                http_status=200 if name in parsed.urls else None,
                outcome="updated" if name in parsed.urls else "pushed",
                etag=etag,
                last_modified=last_modified,
            )
    FeedVersion.objects.filter(pk=feed_version.pk).update(
        meta={
            **feed_version.meta,
            "gbfs_version": system.gbfs_version,
            "system_id": system.system_id,
            "files": sorted(parsed.files),
        }
    )
    return gbfs_system_counts(system=system)


def gbfs_system_counts(*, system: GbfsSystem) -> dict[str, int]:
    return {
        "stations": system.stations.count(),
        "station_status": StationStatus.objects.filter(station__system=system).count(),
        "vehicles": system.vehicles.count(),
        "vehicle_types": system.vehicle_types.count(),
        "geofencing_zones": system.geofencing_zones.count(),
        "pricing_plans": system.pricing_plans.count(),
    }


def gbfs_file_apply(
    *,
    system: GbfsSystem,
    parsed: ParsedFile,
    now: dt.datetime,
    url: str | None = None,
    http_status: int | None = None,
    outcome: str = "updated",
    etag: str = "",
    last_modified: str = "",
    issues: IssueCollector | None = None,
) -> int:
    """Write one parsed file into `system` and record the fetch. Returns how many rows
    changed (for station_status: stations whose availability changed)."""
    with transaction.atomic():
        changed = _APPLY[parsed.name](system, parsed, now, issues)
        gbfs_file, _ = GbfsFile.objects.get_or_create(system=system, name=parsed.name)
        if url is not None:
            gbfs_file.url = url
        gbfs_file.ttl_s = parsed.ttl_s
        gbfs_file.last_updated = parsed.last_updated
        gbfs_file.fetched_at = now
        gbfs_file.etag, gbfs_file.last_modified = etag, last_modified
        gbfs_file.last_error, gbfs_file.last_error_at = "", None
        if gbfs_file.url:
            gbfs_file.next_fetch_at = now + dt.timedelta(seconds=effective_ttl_s(parsed.ttl_s))
        gbfs_file.save()
        FetchLog.objects.create(
            file=gbfs_file,
            fetched_at=now,
            http_status=http_status,
            outcome=outcome,
            changed=changed,
        )
        _stale_refresh(system=system, now=now)
    return changed


def _apply_gbfs(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    if not system.discovery_url:
        return 0  # a pushed system is never polled: its discovery is informational
    changed = 0
    for record in parsed.records:
        if record["name"] in KNOWN_FILES and record["name"] != "gbfs":
            _, created = GbfsFile.objects.update_or_create(
                system=system, name=record["name"], defaults={"url": record["url"]}
            )
            changed += int(created)
    return changed


def _apply_system_information(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    (record,) = parsed.records
    system.system_id = record["system_id"][:255]
    system.name = record["name"][:255]
    system.language = record["language"]
    system.timezone = record["timezone"][:64]
    system.system_information = parsed.data
    if parsed.version != "1.0" or not system.gbfs_version:
        system.gbfs_version = parsed.version
    system.save()
    return 1


def _apply_station_information(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    # Upsert by station_id; a station missing from the new file is gone (its status and
    # history go with it).
    existing = {s.station_id: s for s in system.stations.all()}
    fields = ("name", "names", "lat", "lon", "capacity", "address", "region_id")
    extra = ("is_virtual_station", "rental_uris")
    to_create, to_update = [], []
    for record in parsed.records:
        station = existing.pop(record["station_id"], None)
        if station is None:
            to_create.append(Station(system=system, **record))
            continue
        if any(getattr(station, f) != record[f] for f in fields + extra):
            for f in fields + extra:
                setattr(station, f, record[f])
            to_update.append(station)
    Station.objects.bulk_create(to_create, batch_size=BULK_BATCH_SIZE)
    Station.objects.bulk_update(to_update, fields + extra, batch_size=BULK_BATCH_SIZE)
    if existing:
        Station.objects.filter(pk__in=[s.pk for s in existing.values()]).delete()
    return len(to_create) + len(to_update) + len(existing)


def _apply_station_status(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    station_pks = dict(system.stations.values_list("station_id", "pk"))
    previous = _latest_history(system)
    statuses, changes, unknown = [], [], 0
    for record in parsed.records:
        pk = station_pks.get(record["station_id"])
        if pk is None:
            unknown += 1
            continue
        statuses.append(
            StationStatus(
                station_id=pk,
                num_bikes_available=record["num_bikes_available"],
                num_docks_available=record["num_docks_available"],
                is_installed=record["is_installed"],
                is_renting=record["is_renting"],
                is_returning=record["is_returning"],
                last_reported=record["last_reported"],
                vehicle_types_available=record["vehicle_types_available"],
                fetched_at=now,
            )
        )
        value = (record["num_bikes_available"], record["num_docks_available"], _flags(record))
        if previous.get(pk) != value:
            changes.append(
                StationStatusChange(
                    station_id=pk,
                    reported_at=record["last_reported"] or parsed.last_updated or now,
                    num_bikes_available=min(value[0], 32767),
                    num_docks_available=None if value[1] is None else min(value[1], 32767),
                    flags=value[2],
                )
            )
    if unknown and issues is not None:
        issues.warning(
            "foreign_key_violation",
            f"{unknown} station_status entries name stations missing from "
            "station_information; they are skipped.",
            file="station_status.json",
            field="station_id",
        )
    StationStatus.objects.filter(station__system=system).delete()
    StationStatus.objects.bulk_create(statuses, batch_size=BULK_BATCH_SIZE)
    StationStatusChange.objects.bulk_create(changes, batch_size=BULK_BATCH_SIZE)
    if settings.REDIS_URL:
        operator_slug, rows = system.operator.slug, _redis_rows(statuses, station_pks)
        transaction.on_commit(
            lambda: redis_station_status_write(
                operator_slug=operator_slug, rows=rows, fetched_at=now
            )
        )
    return len(changes)


def _latest_history(system: GbfsSystem) -> dict[int, tuple[int, int | None, int]]:
    """The current value of each station's history (its newest change row), found from
    the live status rows: they always equal the newest change, and there is one per
    station, so this is one cheap query instead of a per-station MAX."""
    result: dict[int, tuple[int, int | None, int]] = {}
    for pk, bikes, docks, installed, renting, returning in StationStatus.objects.filter(
        station__system=system
    ).values_list(
        "station_id",
        "num_bikes_available",
        "num_docks_available",
        "is_installed",
        "is_renting",
        "is_returning",
    ):
        flags = _flags(
            {"is_installed": installed, "is_renting": renting, "is_returning": returning}
        )
        result[pk] = (bikes, docks, flags)
    return result


def _apply_vehicles(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    system.vehicles.all().delete()
    Vehicle.objects.bulk_create(
        [Vehicle(system=system, fetched_at=now, **record) for record in parsed.records],
        batch_size=BULK_BATCH_SIZE,
    )
    return len(parsed.records)


def _apply_vehicle_types(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    system.vehicle_types.all().delete()
    VehicleType.objects.bulk_create(
        [VehicleType(system=system, **record) for record in parsed.records]
    )
    return len(parsed.records)


def _apply_geofencing_zones(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    system.geofencing_zones.all().delete()
    GeofencingZone.objects.bulk_create(
        [GeofencingZone(system=system, **record) for record in parsed.records]
    )
    global_rules = parsed.data.get("global_rules")
    system.global_rules = global_rules if isinstance(global_rules, list) else []
    system.save(update_fields=["global_rules"])
    return len(parsed.records)


def _apply_pricing_plans(
    system: GbfsSystem, parsed: ParsedFile, now: dt.datetime, issues: IssueCollector | None
) -> int:
    system.pricing_plans.all().delete()
    PricingPlan.objects.bulk_create(
        [PricingPlan(system=system, **record) for record in parsed.records]
    )
    return len(parsed.records)


_APPLY = {
    "gbfs": _apply_gbfs,
    "system_information": _apply_system_information,
    "station_information": _apply_station_information,
    "station_status": _apply_station_status,
    "free_bike_status": _apply_vehicles,
    "vehicle_status": _apply_vehicles,
    "vehicle_types": _apply_vehicle_types,
    "geofencing_zones": _apply_geofencing_zones,
    "system_pricing_plans": _apply_pricing_plans,
}


# ---------------------------------------------------------------------- Redis mirror


def _redis_rows(statuses: list[StationStatus], station_pks: dict[str, int]) -> dict[str, str]:
    station_ids = {pk: sid for sid, pk in station_pks.items()}
    return {
        station_ids[s.station_id]: json.dumps(
            {
                "bikes_available": s.num_bikes_available,
                "docks_available": s.num_docks_available,
                "is_renting": s.is_renting,
                "is_returning": s.is_returning,
                "last_reported": s.last_reported.isoformat() if s.last_reported else None,
            },
            separators=(",", ":"),
        )
        for s in statuses
    }


def redis_station_status_key(*, operator_slug: str) -> str:
    return f"gbfs:{operator_slug}:station_status"


def redis_station_status_write(
    *, operator_slug: str, rows: dict[str, str], fetched_at: dt.datetime
) -> None:
    """Replace the operator's live station availability hash in Redis (one MULTI, so a
    reader never sees half a file). Redis is a mirror: a failure here is logged only."""
    import redis

    key = redis_station_status_key(operator_slug=operator_slug)
    try:
        client = redis.Redis.from_url(settings.REDIS_URL)
        with client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if rows:
                pipe.hset(key, mapping=rows)  # type: ignore[arg-type]
            pipe.set(f"gbfs:{operator_slug}:fetched_at", fetched_at.isoformat())
            pipe.execute()
    except redis.RedisError:
        logger.exception("gbfs redis mirror failed", extra={"operator": operator_slug})


# ---------------------------------------------------------------------- stale


def _stale_refresh(*, system: GbfsSystem, now: dt.datetime) -> None:
    """The system is stale while any of its files' last fetch failed; the reason names
    the files. A good fetch of that file clears it."""
    failing = list(
        GbfsFile.objects.filter(system=system)
        .exclude(last_error="")
        .values_list("name", "last_error")
    )
    reason = "; ".join(f"{name}: {error}" for name, error in sorted(failing))[:500]
    if reason == system.stale_reason:
        return
    system.stale_reason = reason
    system.stale_since = (system.stale_since or now) if reason else None
    system.save(update_fields=["stale_reason", "stale_since"])


def gbfs_file_mark_failed(
    *, gbfs_file: GbfsFile, now: dt.datetime, reason: str, http_status: int | None
) -> None:
    """Record a failed fetch: the file and its system are stale with `reason`; every
    row of the last good state stays as it is."""
    with transaction.atomic():
        gbfs_file.last_error = reason[:500]
        gbfs_file.last_error_at = now
        gbfs_file.next_fetch_at = now + dt.timedelta(seconds=effective_ttl_s(gbfs_file.ttl_s))
        gbfs_file.save(update_fields=["last_error", "last_error_at", "next_fetch_at"])
        FetchLog.objects.create(
            file=gbfs_file,
            fetched_at=now,
            http_status=http_status,
            outcome="failed",
            error=reason[:500],
        )
        _stale_refresh(system=gbfs_file.system, now=now)
    logger.warning(
        "gbfs fetch failed",
        extra={
            "operator": gbfs_file.system.operator.slug,
            "feed_version": gbfs_file.system.feed_version_id,
            "file": gbfs_file.name,
            "reason": reason,
        },
    )


# ---------------------------------------------------------------------- polling


def gbfs_files_claim_due(*, now: dt.datetime | None = None) -> list[int]:
    """Ids of the files of ACTIVE systems whose ttl has elapsed, each claimed (its next
    fetch moved forward by a conditional UPDATE) so two dispatchers never poll the same
    file twice."""
    now = now or timezone.now()
    due = (
        GbfsFile.objects.filter(system__feed_version__status=FeedStatus.ACTIVE)
        .exclude(url="")
        .filter(Q(next_fetch_at__lte=now) | Q(next_fetch_at__isnull=True))
        .values_list("pk", "next_fetch_at", "ttl_s")
    )
    claimed = []
    for pk, next_fetch_at, ttl_s in due:
        lease = now + dt.timedelta(seconds=effective_ttl_s(ttl_s))
        same = GbfsFile.objects.filter(pk=pk, next_fetch_at=next_fetch_at)
        if next_fetch_at is None:
            same = GbfsFile.objects.filter(pk=pk, next_fetch_at__isnull=True)
        if same.update(next_fetch_at=lease):
            claimed.append(pk)
    return claimed


def gbfs_file_poll(*, file_id: int, now: dt.datetime | None = None) -> str:
    """Fetch one file (conditional GET) and apply it. Returns the outcome: `updated`,
    `not_modified` or `failed` (dead URL, HTTP error, timeout, malformed JSON, invalid
    file: the feed is marked stale with the reason and the last good state kept)."""
    now = now or timezone.now()
    gbfs_file = GbfsFile.objects.select_related("system__operator").get(pk=file_id)
    if not gbfs_file.url:
        return "skipped"
    result = fetch(gbfs_file.url, etag=gbfs_file.etag, last_modified=gbfs_file.last_modified)
    if result.not_modified:
        with transaction.atomic():
            gbfs_file.fetched_at = now
            gbfs_file.last_error, gbfs_file.last_error_at = "", None
            gbfs_file.next_fetch_at = now + dt.timedelta(seconds=effective_ttl_s(gbfs_file.ttl_s))
            gbfs_file.save()
            FetchLog.objects.create(
                file=gbfs_file, fetched_at=now, http_status=304, outcome="not_modified"
            )
            _stale_refresh(system=gbfs_file.system, now=now)
        return "not_modified"
    if not result.ok:
        gbfs_file_mark_failed(
            gbfs_file=gbfs_file, now=now, reason=result.error, http_status=result.status
        )
        return "failed"
    issues = IssueCollector()
    payload = decode_json(result.body, name=gbfs_file.name, issues=issues)
    parsed = parse_file(gbfs_file.name, payload, issues) if payload is not None else None
    # A file whose every row is bad (e.g. another file served at this URL) must not wipe
    # the live state: it counts as a failed fetch.
    if parsed is None or (issues.has_errors and not parsed.records):
        gbfs_file_mark_failed(
            gbfs_file=gbfs_file, now=now, reason=_reason(issues.errors), http_status=200
        )
        return "failed"
    gbfs_file_apply(
        system=gbfs_file.system,
        parsed=parsed,
        now=now,
        http_status=200,
        etag=result.etag,
        last_modified=result.last_modified,
    )
    return "updated"


def _reason(errors: list[Issue]) -> str:
    if not errors:
        return "invalid file"
    first = errors[0]
    return f"{first.code}: {first.message}"


def gbfs_poll_due(*, now: dt.datetime | None = None) -> dict[int, str]:
    """Claim and poll every due file in this process (the beat task fans out instead);
    returns the outcome per file id."""
    now = now or timezone.now()
    return {pk: gbfs_file_poll(file_id=pk, now=now) for pk in gbfs_files_claim_due(now=now)}


# ---------------------------------------------------------------------- push


class GbfsPushError(Exception):
    """A pushed file was refused; nothing changed."""

    def __init__(
        self, code: str, message: str, *, field: str, issues: list[Issue] | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        self.issues = issues or []


class GbfsNoSystemError(Exception):
    """The operator has no active GBFS system to push into."""


@dataclass
class PushResult:
    file: str
    changed: int
    feed_version_id: int
    warnings: list[dict[str, Any]] = field(default_factory=list)
    registered: bool = False  # True: this push registered a new (pushed) system


def gbfs_push(
    *,
    operator: Operator,
    body: bytes,
    file_name: str | None = None,
    now: dt.datetime | None = None,
    created_by_id: int | None = None,
) -> PushResult:
    """Apply one pushed GBFS file to the operator's active system. A pushed
    system_information when there is no active system registers a new (pushed) system.
    Any error refuses the whole file (GbfsPushError) and changes nothing."""
    now = now or timezone.now()
    issues = IssueCollector()
    if file_name is not None and file_name not in KNOWN_FILES:
        raise GbfsPushError(
            "unknown_gbfs_file",
            f"file must be one of {', '.join(sorted(KNOWN_FILES))}; got {file_name!r}.",
            field="file",
        )
    payload = decode_json(body, name=file_name or "pushed", issues=issues)
    if payload is None:
        raise GbfsPushError(
            "malformed_json", _reason(issues.errors), field="body", issues=issues.errors
        )
    name = file_name or file_name_infer(payload)
    if name is None:
        raise GbfsPushError(
            "unknown_gbfs_file",
            "Cannot tell which GBFS file this is; name it with ?file=<name>.",
            field="file",
        )
    parsed = parse_file(name, payload, issues)
    if parsed is None or issues.has_errors:
        first = issues.errors[0] if issues.errors else None
        raise GbfsPushError(
            "invalid_gbfs_file",
            _reason(issues.errors),
            field=(first.field if first and first.field else "data"),
            issues=issues.errors,
        )
    system = (
        GbfsSystem.objects.filter(operator=operator, feed_version__status=FeedStatus.ACTIVE)
        .select_related("operator")
        .first()
    )
    if system is None:
        if name != "system_information":
            raise GbfsNoSystemError(
                "No active GBFS system: push system_information first (or register a "
                "gbfs.json URL)."
            )
        feed_version = _pushed_system_register(
            operator=operator, name=name, body=body, created_by_id=created_by_id
        )
        if feed_version.status != FeedStatus.ACTIVE:
            raise GbfsPushError(
                "invalid_gbfs_file",
                _reason_from_report(feed_version.report),
                field="data",
            )
        return PushResult(
            name, 1, feed_version.pk, feed_version.report.get("warnings", []), registered=True
        )
    changed = gbfs_file_apply(
        system=system, parsed=parsed, now=now, outcome="pushed", issues=issues
    )
    return PushResult(
        name, changed, system.feed_version_id, [w.as_report_item() for w in issues.warnings]
    )


def _reason_from_report(report: dict[str, Any]) -> str:
    errors = report.get("errors") or [{"code": "import_failed", "message": "import failed"}]
    return f"{errors[0]['code']}: {errors[0]['message']}"


def _pushed_system_register(
    *, operator: Operator, name: str, body: bytes, created_by_id: int | None
) -> FeedVersion:
    from operators.services import feed_version_create, feed_version_import

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"{name}.json", body)
    feed_version = feed_version_create(
        operator=operator,
        kind=FeedKind.GBFS,
        upload=ContentFile(buffer.getvalue(), name="gbfs-push.zip"),
        original_filename="gbfs-push.zip",
        created_by_id=created_by_id,
        enqueue=False,
    )
    return feed_version_import(feed_version_id=feed_version.pk)


# ---------------------------------------------------------------------------- holds


def station_hold_create(*, station: Station, reference: str, until: dt.datetime) -> bool:
    """Hold one bike at `station` for `reference` until `until` when one is available
    (published bikes minus active holds). The station row is locked, so the last bike goes
    to exactly one caller. Idempotent per reference. Returns False when none is left."""
    now = timezone.now()
    with transaction.atomic():
        locked = Station.objects.select_for_update().get(pk=station.pk)
        if StationHold.objects.filter(reference=reference).exists():
            return True
        status = StationStatus.objects.filter(station=locked).first()
        if status is None or not status.is_renting:
            return False
        held = StationHold.objects.filter(station=locked, held_until__gt=now).count()
        if status.num_bikes_available - held < 1:
            return False
        StationHold.objects.create(station=locked, reference=reference, held_until=until)
    return True


def station_hold_extend(*, reference: str, until: dt.datetime) -> None:
    """Keep a hold until `until` (a confirmed booking keeps its bike until pick-up)."""
    StationHold.objects.filter(reference=reference).update(held_until=until)


def station_hold_end(*, reference: str) -> None:
    """Give the held bike back (released, expired, cancelled or picked up)."""
    StationHold.objects.filter(reference=reference).delete()
