"""On-demand (GTFS-Flex) services in trip plans: zones, windows, booking rules and the
capacity check, as plain data for `maas.trips.services` (the routing gateway). Imports
only operators + maas.

Booking rules (GTFS-Flex booking_rules.txt) are applied BEFORE the search by clipping each
service window to the pick-up times that can still be booked at `now`, so a ride that can
no longer be booked in time is never offered:
- booking_type 0 (real time): pick-up >= now;
- 1 (same day): pick-up >= now + prior_notice_duration_min, and <= now +
  prior_notice_duration_max when given;
- 2 (prior days): the whole service day closes at prior_notice_last_day days before, at
  prior_notice_last_time; it opens prior_notice_start_day days before at
  prior_notice_start_time when given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from operators.gtfs import models as m
from operators.gtfs.selectors import services_on
from operators.ondemand.models import OnDemandService
from operators.ondemand.selectors import ondemand_fits

# One day's span, for windows past midnight of the previous service day.
_DAY_S = 86_400


@dataclass(frozen=True)
class _Row:
    trip_id: str
    location_id: str
    location_group_id: str
    start_s: int
    end_s: int
    pickup: bool
    drop_off: bool
    booking_rule_id: str
    factor: float | None
    offset_s: float  # seconds


@dataclass
class _FlexFeed:
    """The flex part of one feed version (immutable, cached per process)."""

    zones: dict[str, tuple[str, dict[str, Any]]]  # location_id -> (name, geometry)
    group_stops: dict[str, list[str]]
    group_names: dict[str, str]
    rows: list[_Row]
    trip_service: dict[str, str]
    trip_route: dict[str, str]
    route_names: dict[str, str]
    timed_stops: dict[str, list[str]]  # trip -> its scheduled stops (deviated routes)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)


_cache: dict[int, _FlexFeed | None] = {}
_lock = threading.Lock()


def _draft_offset_s(value: float | None) -> float:
    """The pre-adoption GTFS-Flex draft's stop_times.txt `mean_/safe_duration_offset` are
    minutes ("an estimation of the ... trip duration, in minutes")."""
    return 0.0 if value is None else float(value) * 60


def _flex_feed(feed_version_id: int) -> _FlexFeed | None:
    with _lock:
        if feed_version_id in _cache:
            return _cache[feed_version_id]
    fv = feed_version_id
    zones = {
        loc: (name or loc, geometry)
        for loc, name, geometry in m.Location.objects.filter(feed_version_id=fv).values_list(
            "location_id", "stop_name", "geometry"
        )
    }
    rows: list[_Row] = []
    for r in (
        m.StopTime.objects.filter(feed_version_id=fv, start_pickup_drop_off_window_s__isnull=False)
        .order_by("trip_id", "stop_sequence")
        .values(
            "trip_id",
            "location_id",
            "location_group_id",
            "stop_id",
            "start_pickup_drop_off_window_s",
            "end_pickup_drop_off_window_s",
            "pickup_type",
            "drop_off_type",
            "pickup_booking_rule_id",
            "drop_off_booking_rule_id",
            "safe_duration_factor",
            "safe_duration_offset",
            "mean_duration_factor",
            "mean_duration_offset",
        )
    ):
        location = r["location_id"] or (r["stop_id"] if r["stop_id"] in zones else "")
        safe = r["safe_duration_factor"] is not None or r["safe_duration_offset"] is not None
        rows.append(
            _Row(
                trip_id=r["trip_id"],
                location_id=location,
                location_group_id=r["location_group_id"],
                start_s=int(r["start_pickup_drop_off_window_s"] or 0),
                end_s=int(
                    r["end_pickup_drop_off_window_s"] or r["start_pickup_drop_off_window_s"] or 0
                ),
                pickup=r["pickup_type"] != 1,
                drop_off=r["drop_off_type"] != 1,
                booking_rule_id=r["pickup_booking_rule_id"] or r["drop_off_booking_rule_id"],
                factor=r["safe_duration_factor"] if safe else r["mean_duration_factor"],
                offset_s=_draft_offset_s(
                    r["safe_duration_offset"] if safe else r["mean_duration_offset"]
                ),
            )
        )
    if not rows:
        with _lock:
            _cache[fv] = None
        return None
    trips = {r.trip_id for r in rows}
    group_stops: dict[str, list[str]] = {}
    for group, stop in m.LocationGroupStop.objects.filter(feed_version_id=fv).values_list(
        "location_group_id", "stop_id"
    ):
        group_stops.setdefault(group, []).append(stop)
    group_names = dict(
        m.LocationGroup.objects.filter(feed_version_id=fv).values_list(
            "location_group_id", "location_group_name"
        )
    )
    trip_service, trip_route = {}, {}
    # The adopted spec's trips.txt safe_duration_factor / safe_duration_offset (seconds:
    # "SafeTravelDuration (seconds) = safe_duration_factor x DrivingDuration (seconds) +
    # safe_duration_offset (seconds)") win over the draft's stop_times.txt fields.
    trip_safe: dict[str, tuple[float | None, float]] = {}
    for trip, service, route, factor, offset in m.Trip.objects.filter(
        feed_version_id=fv, trip_id__in=trips
    ).values_list(
        "trip_id", "service_id", "route_id", "safe_duration_factor", "safe_duration_offset"
    ):
        trip_service[trip], trip_route[trip] = service, route
        if factor is not None or offset is not None:
            trip_safe[trip] = (factor, float(offset or 0.0))
    rows = [
        dataclasses.replace(r, factor=trip_safe[r.trip_id][0], offset_s=trip_safe[r.trip_id][1])
        if r.trip_id in trip_safe
        else r
        for r in rows
    ]
    route_names = {
        r: (long or short or r)
        for r, short, long in m.Route.objects.filter(feed_version_id=fv).values_list(
            "route_id", "route_short_name", "route_long_name"
        )
    }
    timed: dict[str, list[str]] = {}
    for trip, stop in (
        m.StopTime.objects.filter(feed_version_id=fv, trip_id__in=trips, arrival_s__isnull=False)
        .exclude(stop_id="")
        .order_by("trip_id", "stop_sequence")
        .values_list("trip_id", "stop_id")
    ):
        timed.setdefault(trip, []).append(stop)
    rules: dict[str, dict[str, Any]] = {
        rule["booking_rule_id"]: dict(rule)
        for rule in m.BookingRule.objects.filter(feed_version_id=fv).values(
            "booking_rule_id",
            "booking_type",
            "prior_notice_duration_min",
            "prior_notice_duration_max",
            "prior_notice_last_day",
            "prior_notice_last_time_s",
            "prior_notice_start_day",
            "prior_notice_start_time_s",
            "message",
            "pickup_message",
            "phone_number",
            "info_url",
            "booking_url",
        )
    }
    feed = _FlexFeed(
        zones, group_stops, group_names, rows, trip_service, trip_route, route_names, timed, rules
    )
    with _lock:
        _cache[fv] = feed
    return feed


def flex_cache_clear() -> None:
    """Forget the cached flex data (tests)."""
    with _lock:
        _cache.clear()


def _day_start(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    # GTFS service day: noon minus 12 h (equals midnight except on DST change days)
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz) - dt.timedelta(hours=12)


def booking_window(
    rule: dict[str, Any] | None, day: dt.date, tz: zoneinfo.ZoneInfo, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime | None, bool]:
    """For pick-ups on service `day`: (earliest bookable pick-up, latest bookable pick-up,
    day_open) at `now`; None = unbounded. day_open False: nothing that day can be booked."""
    if rule is None:
        return None, None, True
    kind = rule["booking_type"]
    if kind == 0:
        return now, None, True
    if kind == 1:
        low = now + dt.timedelta(minutes=rule["prior_notice_duration_min"] or 0)
        high = None
        if rule["prior_notice_duration_max"] is not None:
            high = now + dt.timedelta(minutes=rule["prior_notice_duration_max"])
        is_open = True
        if rule["prior_notice_start_day"] is not None:
            # "optional for booking_type=1 if prior_notice_duration_max is empty" (C-TRAN:
            # bookable from 2 days before at 00:00)
            first = _day_start(day - dt.timedelta(days=rule["prior_notice_start_day"]), tz)
            is_open = now >= first + dt.timedelta(seconds=rule["prior_notice_start_time_s"] or 0)
        return low, high, is_open
    start = _day_start(day, tz)
    last_day = rule["prior_notice_last_day"] or 0
    deadline = _day_start(day - dt.timedelta(days=last_day), tz) + dt.timedelta(
        seconds=rule["prior_notice_last_time_s"] or 0
    )
    opens = None
    if rule["prior_notice_start_day"] is not None:
        opens = _day_start(day - dt.timedelta(days=rule["prior_notice_start_day"]), tz) + (
            dt.timedelta(seconds=rule["prior_notice_start_time_s"] or 0)
        )
    is_open = now <= deadline and (opens is None or now >= opens)
    return start, None, is_open


def latest_booking_time(
    rule: dict[str, Any] | None, pickup: dt.datetime, day: dt.date, tz: zoneinfo.ZoneInfo
) -> dt.datetime | None:
    """The last moment a ride picked up at `pickup` can be booked."""
    if rule is None:
        return None
    kind = rule["booking_type"]
    if kind == 0:
        return pickup
    if kind == 1:
        return pickup - dt.timedelta(minutes=rule["prior_notice_duration_min"] or 0)
    return _day_start(day - dt.timedelta(days=rule["prior_notice_last_day"] or 0), tz) + (
        dt.timedelta(seconds=rule["prior_notice_last_time_s"] or 0)
    )


@dataclass
class FlexData:
    """FlexService kwargs (windows as aware datetimes; services.py converts them) and the
    booking refusals met while clipping windows."""

    services: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    # FlexGroupService kwargs: rides between two location groups (no zone polygon)
    group_services: list[dict[str, Any]] = field(default_factory=list)


def flex_services(
    *,
    feed_versions: dict[str, int],
    day: dt.date,
    tz: zoneinfo.ZoneInfo,
    now: dt.datetime,
    at: dt.datetime,
) -> FlexData:
    """The zone services of the active flex feeds running on `day` (and the previous
    service day, whose windows may pass midnight), windows clipped to what can be booked at
    `now`. A service whose window holds `at` but cannot be booked for it is reported in
    `refusals` with its booking rule's message."""
    out = FlexData()
    for feed_id, fv in sorted(feed_versions.items()):
        feed = _flex_feed(fv)
        if feed is None:
            continue
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        between: dict[tuple[str, str, str], dict[str, Any]] = {}
        for service_day in (day - dt.timedelta(days=1), day):
            running = services_on(feed_version_id=fv, day=service_day)
            base = _day_start(service_day, tz)
            by_trip: dict[str, list[_Row]] = {}
            for row in feed.rows:
                if feed.trip_service.get(row.trip_id) in running:
                    by_trip.setdefault(row.trip_id, []).append(row)
            for trip, rows in by_trip.items():
                if not any(r.location_id in feed.zones for r in rows):
                    _group_rides(feed, feed_id, trip, rows, between, out, service_day, tz, now, at)
                    continue
                extra_stops: list[str] = []
                for row in rows:
                    extra_stops.extend(feed.group_stops.get(row.location_group_id, []))
                extra_stops.extend(feed.timed_stops.get(trip, []))
                for row in rows:
                    if not row.location_id or row.location_id not in feed.zones:
                        continue
                    key = (row.location_id, row.booking_rule_id)
                    name, geometry = feed.zones[row.location_id]
                    rule = feed.rules.get(row.booking_rule_id)
                    entry = groups.setdefault(
                        key,
                        {
                            "id": f"{feed_id}:{row.location_id}:{row.booking_rule_id}",
                            "operator": feed_id.removesuffix(".flex"),
                            "zone_id": f"{feed_id}:{row.location_id}",
                            "zone_name": name,
                            "geometry": geometry,
                            "windows": [],
                            "stop_ids": set(),
                            "duration_factor": row.factor if row.factor is not None else 1.0,
                            "duration_offset_s": row.offset_s,
                            "details": {
                                "zone_id": f"{feed_id}:{row.location_id}",
                                "zone_name": name,
                                "location_id": row.location_id,
                                "capacity_zone_id": row.location_id,
                                "route": feed.route_names.get(feed.trip_route.get(trip, ""), ""),
                                "rule": rule,
                                "tz": str(tz),
                            },
                        },
                    )
                    entry["stop_ids"].update(f"{feed_id}:{s}" for s in extra_stops)
                    window = (
                        base + dt.timedelta(seconds=row.start_s),
                        base + dt.timedelta(seconds=row.end_s),
                    )
                    clipped = _clip(window, rule, service_day, tz, now)
                    if clipped is not None:
                        entry["windows"].append((*clipped, service_day))
                    if window[0] <= at <= window[1] and (
                        clipped is None or not clipped[0] <= at <= clipped[1]
                    ):
                        out.refusals.append(
                            {
                                "service": entry["id"],
                                "zone_id": entry["zone_id"],
                                "zone_name": name,
                                "geometry": geometry,
                                "message": (rule or {}).get("message", ""),
                                "phone_number": (rule or {}).get("phone_number", ""),
                                "booking_url": (rule or {}).get("booking_url", ""),
                            }
                        )
        for entry in groups.values():
            entry["windows"] = sorted(set(entry["windows"]))
            entry["stop_ids"] = tuple(sorted(entry["stop_ids"]))
            if entry["windows"]:
                out.services.append(entry)
        for entry in between.values():
            entry["windows"] = sorted(set(entry["windows"]))
            if entry["windows"]:
                out.group_services.append(entry)
    out.refusals = list({r["service"]: r for r in out.refusals}.values())
    return out


def _group_rides(
    feed: _FlexFeed,
    feed_id: str,
    trip: str,
    rows: list[_Row],
    between: dict[tuple[str, str, str], dict[str, Any]],
    out: FlexData,
    service_day: dt.date,
    tz: zoneinfo.ZoneInfo,
    now: dt.datetime,
    at: dt.datetime,
) -> None:
    """A trip between location groups only (C-TRAN "VA Medical Center -> C-TRAN Garage"):
    picked up at a stop of a pick-up row's group, dropped at a stop of a later drop-off
    row's group, from the pick-up window's start to the drop-off window's end."""
    base = _day_start(service_day, tz)
    for i, up in enumerate(rows):
        if not up.pickup or not up.location_group_id:
            continue
        for down in rows[i:]:
            if not down.drop_off or not down.location_group_id:
                continue
            if down is up and len(feed.group_stops.get(up.location_group_id, ())) < 2:
                continue
            key = (up.location_group_id, down.location_group_id, up.booking_rule_id)
            rule = feed.rules.get(up.booking_rule_id)
            name = feed.group_names.get(up.location_group_id) or up.location_group_id
            to_name = feed.group_names.get(down.location_group_id) or down.location_group_id
            entry = between.setdefault(
                key,
                {
                    "id": f"{feed_id}:{key[0]}>{key[1]}:{key[2]}",
                    "operator": feed_id.removesuffix(".flex"),
                    "zone_id": f"{feed_id}:{up.location_group_id}",
                    "zone_name": name,
                    "windows": [],
                    "pickup_stops": tuple(
                        f"{feed_id}:{s}" for s in feed.group_stops.get(up.location_group_id, ())
                    ),
                    "dropoff_stops": tuple(
                        f"{feed_id}:{s}" for s in feed.group_stops.get(down.location_group_id, ())
                    ),
                    "duration_factor": up.factor if up.factor is not None else 1.0,
                    "duration_offset_s": up.offset_s,
                    "details": {
                        "zone_id": f"{feed_id}:{up.location_group_id}",
                        "zone_name": name,
                        "to_zone": {"id": f"{feed_id}:{down.location_group_id}", "name": to_name},
                        "location_group_id": up.location_group_id,
                        "capacity_zone_id": up.location_group_id,
                        "route": feed.route_names.get(feed.trip_route.get(trip, ""), ""),
                        "rule": rule,
                        "tz": str(tz),
                    },
                },
            )
            window = (
                base + dt.timedelta(seconds=up.start_s),
                base + dt.timedelta(seconds=max(down.end_s, up.start_s)),
            )
            clipped = _clip(window, rule, service_day, tz, now)
            if clipped is not None:
                entry["windows"].append((*clipped, service_day))
            if window[0] <= at <= window[1] and (
                clipped is None or not clipped[0] <= at <= clipped[1]
            ):
                out.refusals.append(
                    {
                        "service": entry["id"],
                        "zone_id": entry["zone_id"],
                        "zone_name": name,
                        "geometry": None,
                        "pickup_stops": entry["pickup_stops"],
                        "message": (rule or {}).get("message", ""),
                        "phone_number": (rule or {}).get("phone_number", ""),
                        "booking_url": (rule or {}).get("booking_url", ""),
                    }
                )


def _clip(
    window: tuple[dt.datetime, dt.datetime],
    rule: dict[str, Any] | None,
    day: dt.date,
    tz: zoneinfo.ZoneInfo,
    now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime] | None:
    low, high, is_open = booking_window(rule, day, tz, now)
    if not is_open:
        return None
    start, end = window
    if low is not None:
        start = max(start, low)
    if high is not None:
        end = min(end, high)
    return (start, end) if start < end else None


def ondemand_travel_settings(
    keys: set[tuple[str, str]],
) -> dict[tuple[str, str], dict[str, float]]:
    """The travel model of the on-demand services configured for (operator slug, zone id)
    pairs (`operators.ondemand`'s OnDemandService: the dispatcher's road speed, detour
    factor and service buffer), so the planner promises what the dispatcher plans with.
    Pairs without a configured service are absent (the caller uses the global settings)."""
    if not keys:
        return {}
    rows = OnDemandService.objects.filter(
        operator__slug__in={k[0] for k in keys}, zone_id__in={k[1] for k in keys}
    ).values_list(
        "operator__slug", "zone_id", "road_speed_mps", "detour_factor", "service_buffer_s"
    )
    return {
        (slug, zone): {"speed_mps": speed, "detour_factor": detour, "buffer_s": int(buffer_s)}
        for slug, zone, speed, detour, buffer_s in rows
        if (slug, zone) in keys
    }


def ondemand_fits_check(
    *,
    operator_slug: str,
    zone_id: str,
    pickup_earliest: dt.datetime,
    pickup_latest: dt.datetime,
    dropoff_latest: dt.datetime,
    pickup: tuple[float, float] | None = None,
    dropoff: tuple[float, float] | None = None,
    seats: int = 1,
) -> bool:
    """Whether the on-demand service still has a seat for the ride picked up at `pickup`
    and dropped at `dropoff` ((lat, lon)): `operators.ondemand.selectors.ondemand_fits`
    (True when the operator manages no capacity in that zone). `zone_id` is the GTFS
    `location_id` or `location_group_id`, as OnDemandService.zone_id stores it."""
    return bool(
        ondemand_fits(
            operator_slug=operator_slug,
            zone_id=zone_id,
            pickup_earliest=pickup_earliest,
            pickup_latest=pickup_latest,
            dropoff_latest=dropoff_latest,
            seats=seats,
            pickup=pickup,
            dropoff=dropoff,
        )
    )
