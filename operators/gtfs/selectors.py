"""Read-side queries on the GTFS tables: stop search, departures, feed tables for the
network snapshot build. Only ACTIVE versions are ever served to passengers."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import Max, Q

from operators.gtfs import models as m
from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.nearby import distance_m

GTFS_KINDS = (FeedKind.GTFS, FeedKind.GTFS_FLEX)
_METRES_PER_DEGREE = 111_320.0
# Searches return stops and stations, not platforms under a station, entrances or nodes.
_SEARCHABLE_LOCATION_TYPES = (0, 1)


def active_gtfs_versions() -> dict[int, str]:
    """{feed_version_id: operator slug} of every active GTFS / GTFS-Flex version."""
    return dict(
        FeedVersion.objects.filter(status=FeedStatus.ACTIVE, kind__in=GTFS_KINDS).values_list(
            "id", "operator__slug"
        )
    )


# ---------------------------------------------------------------------------- names


def names_in(
    *,
    feed_version_id: int,
    table: str,
    field: str,
    records: Iterable[tuple[str, str]],
    language: str,
) -> dict[str, str]:
    """{record_id: text in `language`} for (record_id, feed's own text) pairs, from
    translations.txt: a translation by record_id first, then by field_value (current
    form), then the legacy GTFS-JP form (text -> translation); else the feed's own text."""
    records = list(records)
    result = dict(records)
    if not records:
        return result
    ids = {record_id for record_id, _ in records}
    texts = {text for _, text in records if text}
    rows = m.Translation.objects.filter(
        Q(record_id__in=ids) | Q(field_value__in=texts),
        feed_version_id=feed_version_id,
        language=language,
        table_name__in=(table, ""),
        field_name__in=(field, ""),
    ).values_list("table_name", "record_id", "field_value", "translation")
    by_id: dict[str, str] = {}
    by_value: dict[str, str] = {}
    legacy: dict[str, str] = {}
    for table_name, record_id, field_value, translation in rows:
        if record_id:
            by_id[record_id] = translation
        elif table_name:
            by_value[field_value] = translation
        else:
            legacy[field_value] = translation
    for record_id, text in records:
        translated = by_id.get(record_id) or by_value.get(text) or legacy.get(text)
        if translated:
            result[record_id] = translated
    return result


# ---------------------------------------------------------------------------- stops


@dataclass(frozen=True)
class StopHit:
    id: str
    name: str
    lat: float | None
    lon: float | None
    operator: str
    wheelchair_boarding: int | None
    distance_m: int | None


def stop_search(
    *,
    q: str = "",
    near: tuple[float, float] | None = None,
    radius_m: int = 500,
    language: str = "ja",
    limit: int = 20,
) -> list[StopHit]:
    """Stops and stations of the active versions whose name (in any language of the
    feed's translations) contains `q` and/or that lie within `radius_m` of `near`; the
    nearest first when `near` is given, else by name."""
    versions = active_gtfs_versions()
    if not versions:
        return []
    stops = m.Stop.objects.filter(
        feed_version_id__in=versions,
        location_type__in=_SEARCHABLE_LOCATION_TYPES,
    ).filter(Q(location_type=1) | Q(parent_station=""))
    if q:
        condition = Q(stop_name__icontains=q)
        matches = m.Translation.objects.filter(
            Q(table_name="stops", field_name="stop_name") | Q(table_name=""),
            feed_version_id__in=versions,
            translation__icontains=q,
        ).values_list("feed_version_id", "record_id", "field_value")
        ids: dict[int, set[str]] = defaultdict(set)
        values: dict[int, set[str]] = defaultdict(set)
        for feed_version_id, record_id, field_value in matches:
            if record_id:
                ids[feed_version_id].add(record_id)
            elif field_value:
                values[feed_version_id].add(field_value)
        for feed_version_id, stop_ids in ids.items():
            condition |= Q(feed_version_id=feed_version_id, stop_id__in=stop_ids)
        for feed_version_id, names in values.items():
            condition |= Q(feed_version_id=feed_version_id, stop_name__in=names)
        stops = stops.filter(condition)
    if near is not None:
        lat, lon = near
        dlat = radius_m / _METRES_PER_DEGREE
        dlon = radius_m / (_METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        stops = stops.filter(
            stop_lat__range=(lat - dlat, lat + dlat), stop_lon__range=(lon - dlon, lon + dlon)
        )
    rows = list(
        stops.values_list(
            "feed_version_id",
            "stop_id",
            "stop_name",
            "stop_lat",
            "stop_lon",
            "wheelchair_boarding",
        )
    )
    hits: list[tuple[float, str, tuple[Any, ...]]] = []
    for row in rows:
        distance = None
        if near is not None:
            if row[3] is None or row[4] is None:
                continue
            distance = distance_m(near[0], near[1], row[3], row[4])
            if distance > radius_m:
                continue
        hits.append((distance or 0.0, row[2], row))
    hits.sort(key=lambda h: (h[0], h[1]))
    hits = hits[:limit]
    by_version: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for _, _, row in hits:
        by_version[row[0]].append((row[1], row[2]))
    translated: dict[tuple[int, str], str] = {}
    for feed_version_id, records in by_version.items():
        for stop_id, name in names_in(
            feed_version_id=feed_version_id,
            table="stops",
            field="stop_name",
            records=records,
            language=language,
        ).items():
            translated[(feed_version_id, stop_id)] = name
    return [
        StopHit(
            id=f"{versions[row[0]]}:{row[1]}",
            name=translated[(row[0], row[1])],
            lat=row[3],
            lon=row[4],
            operator=versions[row[0]],
            wheelchair_boarding=row[5],
            distance_m=round(distance) if near is not None else None,
        )
        for distance, _, row in hits
    ]


def stop_get(*, ref: str) -> tuple[m.Stop, Operator]:
    """The stop "<operator-slug>:<stop_id>" of that operator's active GTFS version(s);
    raises m.Stop.DoesNotExist."""
    slug, sep, stop_id = ref.partition(":")
    if not sep or not stop_id:
        raise m.Stop.DoesNotExist(ref)
    versions = [fv for fv, s in active_gtfs_versions().items() if s == slug]
    stop = (
        m.Stop.objects.select_related("feed_version__operator")
        .filter(feed_version_id__in=versions, stop_id=stop_id)
        .order_by("-feed_version_id")
        .first()
    )
    if stop is None:
        raise m.Stop.DoesNotExist(ref)
    return stop, stop.feed_version.operator


# ---------------------------------------------------------------------------- departures


def services_on(*, feed_version_id: int, day: dt.date) -> set[str]:
    """service_ids running on `day` per calendar.txt and calendar_dates.txt."""
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[
        day.weekday()
    ]
    services = set(
        m.Calendar.objects.filter(
            feed_version_id=feed_version_id,
            start_date__lte=day,
            end_date__gte=day,
            **{weekday: True},
        ).values_list("service_id", flat=True)
    )
    for service_id, exception_type in m.CalendarDate.objects.filter(
        feed_version_id=feed_version_id, date=day
    ).values_list("service_id", "exception_type"):
        if exception_type == 1:
            services.add(service_id)
        else:
            services.discard(service_id)
    return services


def service_day_start(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """GTFS times count from "noon minus 12 h" of the service day (midnight except on
    days when the clocks change)."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz) - dt.timedelta(hours=12)


@dataclass(frozen=True)
class Departure:
    time: dt.datetime
    trip_id: str
    route_id: str
    route_short_name: str
    route_long_name: str
    route_type: int
    headsign: str


def feed_time_zone(feed_version: FeedVersion) -> zoneinfo.ZoneInfo:
    name = feed_version.meta.get("timezone") or feed_version.operator.time_zone
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(feed_version.operator.time_zone)


def departures_list(
    *, stop: m.Stop, at: dt.datetime, limit: int = 10, language: str = "ja"
) -> list[Departure]:
    """The next `limit` departures from `stop` (and its platforms, for a station) at or
    after `at`: trips of services running that day, plus trips of the previous service
    day still running after midnight, plus frequency-based trips expanded. The last stop
    of a trip and stops with no pickup are not departures."""
    feed_version = stop.feed_version
    fv_id = feed_version.pk
    tz = feed_time_zone(feed_version)
    local = at.astimezone(tz)
    stop_ids = [stop.stop_id]
    if stop.location_type == 1:
        stop_ids += list(
            m.Stop.objects.filter(feed_version_id=fv_id, parent_station=stop.stop_id).values_list(
                "stop_id", flat=True
            )
        )
    rows = [
        (trip_id, sequence, departure_s, headsign)
        for trip_id, sequence, departure_s, headsign in m.StopTime.objects.filter(
            feed_version_id=fv_id, stop_id__in=stop_ids
        )
        .exclude(pickup_type=1)
        .values_list("trip_id", "stop_sequence", "departure_s", "stop_headsign")
        if departure_s is not None
    ]
    if not rows:
        return []
    trip_ids = {r[0] for r in rows}
    trips = {
        t[0]: t
        for t in m.Trip.objects.filter(feed_version_id=fv_id, trip_id__in=trip_ids).values_list(
            "trip_id", "route_id", "service_id", "trip_headsign"
        )
    }
    last_sequence = dict(
        m.StopTime.objects.filter(feed_version_id=fv_id, trip_id__in=trip_ids)
        .values("trip_id")
        .annotate(last=Max("stop_sequence"))
        .values_list("trip_id", "last")
    )
    frequencies: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for trip_id, start_s, end_s, headway in m.Frequency.objects.filter(
        feed_version_id=fv_id, trip_id__in=trip_ids
    ).values_list("trip_id", "start_time_s", "end_time_s", "headway_secs"):
        frequencies[trip_id].append((start_s, end_s, headway))
    first_departure: dict[str, int] = {}
    if frequencies:
        for trip_id, departure_s in (
            m.StopTime.objects.filter(feed_version_id=fv_id, trip_id__in=list(frequencies))
            .exclude(departure_s=None)
            .order_by("trip_id", "-stop_sequence")
            .values_list("trip_id", "departure_s")
        ):
            if departure_s is not None:  # the last one written is the first stop
                first_departure[trip_id] = departure_s

    found: list[tuple[dt.datetime, str, str]] = []
    for day_offset in (-1, 0, 1):
        day = local.date() + dt.timedelta(days=day_offset)
        services = services_on(feed_version_id=fv_id, day=day)
        if not services:
            continue
        base = service_day_start(day, tz)
        from_s = (local - base).total_seconds()
        for trip_id, sequence, departure_s, stop_headsign in rows:
            trip = trips.get(trip_id)
            if trip is None or trip[2] not in services or last_sequence.get(trip_id) == sequence:
                continue
            headsign = stop_headsign or trip[3]
            if trip_id in frequencies:
                offset = departure_s - first_departure.get(trip_id, departure_s)
                for start_s, end_s, headway in frequencies[trip_id]:
                    first = max(
                        start_s,
                        math.ceil((from_s - offset - start_s) / headway) * headway + start_s,
                    )
                    for t in range(int(first), end_s, headway):
                        found.append((base + dt.timedelta(seconds=t + offset), trip_id, headsign))
            elif departure_s >= from_s:
                found.append((base + dt.timedelta(seconds=departure_s), trip_id, headsign))
    found.sort(key=lambda f: (f[0], f[1]))
    found = found[:limit]
    route_ids = {trips[trip_id][1] for _, trip_id, _ in found}
    routes = {
        r[0]: r
        for r in m.Route.objects.filter(feed_version_id=fv_id, route_id__in=route_ids).values_list(
            "route_id", "route_short_name", "route_long_name", "route_type"
        )
    }
    short = names_in(
        feed_version_id=fv_id,
        table="routes",
        field="route_short_name",
        records=[(r[0], r[1]) for r in routes.values()],
        language=language,
    )
    long = names_in(
        feed_version_id=fv_id,
        table="routes",
        field="route_long_name",
        records=[(r[0], r[2]) for r in routes.values()],
        language=language,
    )
    headsigns = names_in(
        feed_version_id=fv_id,
        table="trips",
        field="trip_headsign",
        records=[(trip_id, headsign) for _, trip_id, headsign in found],
        language=language,
    )
    result = []
    for when, trip_id, _ in found:
        route = routes.get(trips[trip_id][1])
        result.append(
            Departure(
                time=when.astimezone(tz),
                trip_id=trip_id,
                route_id=trips[trip_id][1],
                route_short_name=short.get(route[0], "") if route else "",
                route_long_name=long.get(route[0], "") if route else "",
                route_type=route[3] if route else 3,
                headsign=headsigns.get(trip_id, ""),
            )
        )
    return result


# ---------------------------------------------------------------------------- snapshot input


def _frame(sql: str, params: list[Any], columns: list[str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return pd.DataFrame(cursor.fetchall(), columns=columns)


def _dates_as_int(series: pd.Series) -> pd.Series:
    return series.map(lambda d: d.year * 10000 + d.month * 100 + d.day if d else 0).astype("int32")


def feed_tables_for_version(feed_version: FeedVersion) -> dict[str, pd.DataFrame]:
    """The GTFS tables of one version as DataFrames, one query per table, with the
    columns and conventions of `routing.tables.SCHEMA` (ids as strings, times as integer
    seconds `arrival_s`/`departure_s`, dates as YYYYMMDD ints), so
    `FeedTables.build(feed_id, timezone, **feed_tables_for_version(fv))` works.
    GTFS-Flex window rows (no times) are left out of stop_times."""
    fv = [feed_version.pk]

    def table(
        model: type[Any], columns: list[str], where: str = "", order: str = ""
    ) -> pd.DataFrame:
        db_columns = [model._meta.get_field(c).column for c in columns]
        # Names come from the model's meta and the literals below, never from input.
        sql = (
            f"SELECT {', '.join(db_columns)} FROM {model._meta.db_table} "  # noqa: S608
            f"WHERE feed_version_id = %s {where} {order}"
        )
        return _frame(sql, fv, columns)

    stops = table(
        m.Stop,
        [
            "stop_id",
            "stop_name",
            "stop_lat",
            "stop_lon",
            "location_type",
            "parent_station",
            "wheelchair_boarding",
            "platform_code",
        ],
    )
    routes = table(
        m.Route, ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"]
    )
    trips = table(
        m.Trip,
        [
            "trip_id",
            "route_id",
            "service_id",
            "trip_headsign",
            "direction_id",
            "shape_id",
            "wheelchair_accessible",
        ],
    )
    stop_times = table(
        m.StopTime,
        [
            "trip_id",
            "stop_sequence",
            "stop_id",
            "arrival_s",
            "departure_s",
            "pickup_type",
            "drop_off_type",
        ],
        where="AND departure_s IS NOT NULL AND arrival_s IS NOT NULL AND stop_id <> ''",
        order="ORDER BY trip_id, stop_sequence",
    )
    calendar = table(
        m.Calendar,
        [
            "service_id",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "start_date",
            "end_date",
        ],
    )
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        calendar[day] = calendar[day].astype("int8")
    calendar["start_date"] = _dates_as_int(calendar["start_date"])
    calendar["end_date"] = _dates_as_int(calendar["end_date"])
    calendar_dates = table(m.CalendarDate, ["service_id", "date", "exception_type"])
    calendar_dates["date"] = _dates_as_int(calendar_dates["date"])
    transfers = table(
        m.Transfer, ["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"]
    )
    transfers["min_transfer_time"] = transfers["min_transfer_time"].fillna(-1).astype("int32")
    frequencies = table(
        m.Frequency, ["trip_id", "start_time_s", "end_time_s", "headway_secs", "exact_times"]
    ).rename(
        columns={"start_time_s": "start_s", "end_time_s": "end_s", "headway_secs": "headway_s"}
    )
    shapes = table(
        m.ShapePoint,
        ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"],
        order="ORDER BY shape_id, shape_pt_sequence",
    )
    for frame in (stops, routes, trips, stop_times):
        for column in frame.columns:
            if frame[column].dtype == object and column.endswith(
                ("_id", "_name", "station", "headsign", "code")
            ):
                frame[column] = frame[column].fillna("")
    return {
        "stops": stops,
        "routes": routes,
        "trips": trips,
        "stop_times": stop_times,
        "calendar": calendar,
        "calendar_dates": calendar_dates,
        "transfers": transfers,
        "frequencies": frequencies,
        "shapes": shapes,
    }


def gtfs_extras_get(*, operator: Operator) -> dict[str, Any] | None:
    """The GTFS / GTFS-JP facts of the operator's active GTFS (else GTFS-Flex) version:
    agencies (with agency_jp columns), office_jp rows, pattern_jp count, feed_info and
    service period; None when it has no active version."""
    feed_version = (
        FeedVersion.objects.filter(operator=operator, status=FeedStatus.ACTIVE, kind__in=GTFS_KINDS)
        .order_by("kind")
        .first()
    )
    if feed_version is None:
        return None
    fv_id = feed_version.pk
    agency_jp = {
        row["agency_id"]: row
        for row in m.AgencyJp.objects.filter(feed_version_id=fv_id).values(
            "agency_id",
            "agency_official_name",
            "agency_zip_number",
            "agency_address",
            "agency_president_pos",
            "agency_president_name",
        )
    }
    agencies = []
    for row in (
        m.Agency.objects.filter(feed_version_id=fv_id)
        .order_by("id")
        .values(
            "agency_id",
            "agency_name",
            "agency_url",
            "agency_timezone",
            "agency_lang",
            "agency_phone",
        )
    ):
        jp = agency_jp.get(row["agency_id"])
        agencies.append(
            {**row, "jp": {k: v for k, v in jp.items() if k != "agency_id"} if jp else None}
        )
    offices = list(
        m.OfficeJp.objects.filter(feed_version_id=fv_id)
        .order_by("id")
        .values("office_id", "office_name", "office_url", "office_phone")
    )
    return {
        "feed_version": fv_id,
        "kind": feed_version.kind,
        "agencies": agencies,
        "offices": offices,
        "patterns": m.PatternJp.objects.filter(feed_version_id=fv_id).count(),
        "routes_jp": m.RouteJp.objects.filter(feed_version_id=fv_id).count(),
        "feed_info": feed_version.meta.get("feed_info"),
        "service_period": feed_version.meta.get("service_period"),
        "translation_languages": feed_version.meta.get("translation_languages", []),
    }
