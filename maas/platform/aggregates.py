"""Computing the statistics aggregates (hourly, per local day) from bookings, ticket
validations, the GBFS station history and on-demand rides. See docs/statistics.md.

`aggregates_compute` replaces every aggregate row of the days in the range in ONE
transaction (delete + insert), so a recomputation is idempotent and a reader never sees a
half-written day.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery, Sum

from maas.accounts.models import VisitorType
from maas.bookings.models import BookingLeg, BookingState, LegKind, TicketValidation
from maas.platform.mesh import mesh_code
from maas.platform.models import BikeshareHourly, OdHourly, OnDemandHourly, RidershipHourly
from operators.gbfs.models import FetchLog, Station, StationStatusChange
from operators.ondemand.models import Ride, RideState, Vehicle

logger = logging.getLogger(__name__)

# Rows per INSERT: keeps one statement well below SQLite's variable limit (999 x fields).
BULK_BATCH = 500
# Rows fetched per round trip while streaming the station history.
HISTORY_CHUNK = 5000

MESH_LEVELS = (1, 2, 3, 4)
# Booking legs that are (or were) a trip someone takes.
RIDDEN_LEG_STATES = (BookingState.CONFIRMED, BookingState.STARTED, BookingState.FINISHED)
MODE_ONDEMAND = "ondemand"


@dataclass
class AggregateCounts:
    ridership: int = 0
    od: int = 0
    bikeshare: int = 0
    ondemand: int = 0
    days: list[dt.date] = field(default_factory=list)


def _tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day_bounds(*, date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the local days date_from..date_to (inclusive) as aware datetimes."""
    tz = _tz()
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


def _slot(at: dt.datetime | None) -> tuple[dt.date, int]:
    assert at is not None  # noqa: S101 - callers filter on the timestamp
    local = at.astimezone(_tz())
    return local.date(), local.hour


def _hour_floor(at: dt.datetime) -> dt.datetime:
    local = at.astimezone(_tz())
    return local.replace(minute=0, second=0, microsecond=0)


def _hours_split(
    start: dt.datetime, end: dt.datetime
) -> Iterable[tuple[tuple[dt.date, int], float]]:
    """The seconds of [start, end) falling in each local hour."""
    cursor = start
    while cursor < end:
        hour_end = _hour_floor(cursor) + dt.timedelta(hours=1)
        stop = min(end, hour_end)
        yield _slot(cursor), (stop - cursor).total_seconds()
        cursor = stop


def _leg_route(detail: dict[str, Any]) -> str:
    route = detail.get("route") or {}
    return str(route.get("id") or "")


def _leg_stop(detail: dict[str, Any]) -> str:
    origin = detail.get("from") or {}
    station = detail.get("station") or {}
    return str(origin.get("stop_id") or origin.get("station_id") or station.get("id") or "")


def _leg_point(detail: dict[str, Any], end: str) -> tuple[float, float] | None:
    place = detail.get(end) or {}
    lat, lon = place.get("lat"), place.get("lon")
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def _ridership_rows(start: dt.datetime, end: dt.datetime) -> tuple[list[Any], list[Any]]:
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    od: dict[tuple[Any, ...], int] = defaultdict(int)
    legs = BookingLeg.objects.filter(
        kind=LegKind.LEG,
        state__in=RIDDEN_LEG_STATES,
        departure_at__gte=start,
        departure_at__lt=end,
    ).values_list(
        "operator__slug", "mode", "detail", "departure_at", "booking__owner__visitor_type"
    )
    for slug, mode, detail, departure_at, visitor in legs.iterator(chunk_size=2000):
        date, hour = _slot(departure_at)
        key = (date, hour, slug, mode, _leg_route(detail), _leg_stop(detail), visitor)
        counts[key][0] += 1
        origin, destination = _leg_point(detail, "from"), _leg_point(detail, "to")
        if origin is None or destination is None:
            continue
        for level in MESH_LEVELS:
            try:
                cells = mesh_code(*origin, level), mesh_code(*destination, level)
            except ValueError:
                break  # outside the JIS grid (a feed abroad): no mesh statistics
            od[(date, hour, level, *cells, mode)] += 1
    validations = TicketValidation.objects.filter(
        result="valid", leg__isnull=False, at__gte=start, at__lt=end
    ).values_list(
        "leg__operator__slug", "leg__mode", "leg__detail", "at", "leg__booking__owner__visitor_type"
    )
    for slug, mode, detail, at, visitor in validations.iterator(chunk_size=2000):
        date, hour = _slot(at)
        key = (date, hour, slug, mode, _leg_route(detail), _leg_stop(detail), visitor)
        counts[key][1] += 1
    ridership = [
        RidershipHourly(
            date=date,
            hour=hour,
            operator=slug,
            mode=mode,
            route=route,
            stop=stop,
            visitor_type=visitor or VisitorType.UNKNOWN,
            trips=trips,
            validations=validated,
        )
        for (date, hour, slug, mode, route, stop, visitor), (trips, validated) in counts.items()
    ]
    od_rows = [
        OdHourly(
            date=date,
            hour=hour,
            level=level,
            origin=origin,
            destination=destination,
            mode=mode,
            trips=n,
        )
        for (date, hour, level, origin, destination, mode), n in od.items()
    ]
    return ridership, od_rows


@dataclass
class _StationAcc:
    pickups: int = 0
    returns: int = 0
    occupied_s: float = 0.0  # integral of bikes/capacity over observed time
    observed_s: float = 0.0
    capacity_s: float = 0.0  # observed time with a known capacity


def _capacity(station: Station, bikes: int, docks: int | None) -> int | None:
    if station.capacity:
        return station.capacity
    if docks is not None and bikes + docks > 0:
        return bikes + docks
    return None


def bikeshare_rows(*, start: dt.datetime, end: dt.datetime) -> list[BikeshareHourly]:
    """Pick-ups, returns and occupancy per station and hour from the compact history.

    Between two change rows the earlier value held. A value is counted as observed until
    the next change, or until the station's system was last fetched (the fetch log), at
    most `end`; the change row just before `start` supplies the value holding at `start`
    (and is the baseline for the first change, so nothing before `start` is counted)."""
    before = (
        StationStatusChange.objects.filter(station=OuterRef("pk"), reported_at__lt=start)
        .order_by("-reported_at", "-id")
        .values("id")[:1]
    )
    stations = {
        s.pk: s
        for s in Station.objects.filter(
            history__reported_at__gte=start, history__reported_at__lt=end
        )
        .distinct()
        .select_related("system__operator")
        .annotate(before_id=Subquery(before))
    }
    if not stations:
        return []
    last_fetch: dict[Any, dt.datetime] = dict(
        FetchLog.objects.filter(file__system__stations__in=list(stations))
        .values_list("file__system_id")
        .annotate(last=Max("fetched_at"))
        .values_list("file__system_id", "last")
    )
    previous: dict[int, StationStatusChange] = {
        row.station_id: row
        for row in StationStatusChange.objects.filter(
            id__in=[s.before_id for s in stations.values() if s.before_id]
        )
    }
    acc: dict[tuple[int, dt.date, int], _StationAcc] = defaultdict(_StationAcc)

    def hold(station: Station, row: StationStatusChange, until: dt.datetime) -> None:
        begin = max(row.reported_at, start)
        capacity = _capacity(station, row.num_bikes_available, row.num_docks_available)
        for (date, hour), seconds in _hours_split(begin, until):
            cell = acc[(station.pk, date, hour)]
            cell.observed_s += seconds
            if capacity:
                cell.capacity_s += seconds
                cell.occupied_s += seconds * min(row.num_bikes_available / capacity, 1.0)

    def observed_until(station: Station, fallback: dt.datetime) -> dt.datetime:
        fetched = last_fetch.get(station.system_id)
        return min(end, max(fetched, fallback) if fetched else fallback)

    history = (
        StationStatusChange.objects.filter(
            station_id__in=list(stations), reported_at__gte=start, reported_at__lt=end
        )
        .order_by("station_id", "reported_at", "id")
        .iterator(chunk_size=HISTORY_CHUNK)
    )
    for row in history:
        station = stations[row.station_id]
        prior = previous.get(row.station_id)
        if prior is not None:
            hold(station, prior, row.reported_at)
            delta = row.num_bikes_available - prior.num_bikes_available
            cell = acc[(station.pk, *_slot(row.reported_at))]
            if delta < 0:
                cell.pickups += -delta
            else:
                cell.returns += delta
        previous[row.station_id] = row
    for station_pk, row in previous.items():
        station = stations[station_pk]
        hold(station, row, observed_until(station, row.reported_at))
    rows = []
    for (station_pk, date, hour), cell in sorted(acc.items(), key=lambda item: item[0]):
        station = stations[station_pk]
        slug = station.system.operator.slug
        rows.append(
            BikeshareHourly(
                date=date,
                hour=hour,
                operator=slug,
                station=f"{slug}:{station.station_id}",
                station_name=station.name[:255],
                lat=station.lat,
                lon=station.lon,
                pickups=cell.pickups,
                returns=cell.returns,
                occupancy=round(cell.occupied_s / cell.capacity_s, 4) if cell.capacity_s else None,
                observed_s=round(cell.observed_s),
            )
        )
    return rows


def _ondemand_rows(start: dt.datetime, end: dt.datetime) -> list[OnDemandHourly]:
    acc: dict[tuple[dt.date, int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    fleet = dict(
        Vehicle.objects.filter(active=True, service__active=True)
        .values_list("service__operator__slug")
        .annotate(seats=Sum("seats"))
        .values_list("service__operator__slug", "seats")
    )
    rides = Ride.objects.filter(
        state=RideState.CONFIRMED, planned_pickup_at__gte=start, planned_pickup_at__lt=end
    ).values_list("service__operator__slug", "seats", "planned_pickup_at", "planned_dropoff_at")
    for slug, seats, pickup, dropoff in rides.iterator(chunk_size=2000):
        cell = acc[(*_slot(pickup), slug)]
        cell[0] += 1
        cell[1] += seats
        for (date, hour), seconds in _hours_split(pickup, min(dropoff, end)):
            acc[(date, hour, slug)][2] += round(seats * seconds)
    refused = BookingLeg.objects.filter(
        kind=LegKind.LEG,
        mode=MODE_ONDEMAND,
        state=BookingState.REJECTED,
        departure_at__gte=start,
        departure_at__lt=end,
    ).values_list("operator__slug", "departure_at")
    for slug, departure_at in refused.iterator(chunk_size=2000):
        acc[(*_slot(departure_at), slug)][3] += 1
    return [
        OnDemandHourly(
            date=date,
            hour=hour,
            operator=slug,
            rides=rides_n,
            passengers=passengers,
            seat_seconds=seat_s,
            fleet_seats=fleet.get(slug) or 0,
            refused=refused_n,
        )
        for (date, hour, slug), (rides_n, passengers, seat_s, refused_n) in acc.items()
    ]


def aggregates_compute(*, date_from: dt.date, date_to: dt.date) -> AggregateCounts:
    """Recompute every statistics aggregate of the local days date_from..date_to."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    start, end = local_day_bounds(date_from=date_from, date_to=date_to)
    ridership, od = _ridership_rows(start, end)
    bikeshare = bikeshare_rows(start=start, end=end)
    ondemand = _ondemand_rows(start, end)
    days = {"date__gte": date_from, "date__lte": date_to}
    with transaction.atomic():
        for model in (RidershipHourly, OdHourly, BikeshareHourly, OnDemandHourly):
            model.objects.filter(**days).delete()
        RidershipHourly.objects.bulk_create(ridership, batch_size=BULK_BATCH)
        OdHourly.objects.bulk_create(od, batch_size=BULK_BATCH)
        BikeshareHourly.objects.bulk_create(bikeshare, batch_size=BULK_BATCH)
        OnDemandHourly.objects.bulk_create(ondemand, batch_size=BULK_BATCH)
    counts = AggregateCounts(
        ridership=len(ridership),
        od=len(od),
        bikeshare=len(bikeshare),
        ondemand=len(ondemand),
        days=[date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)],
    )
    logger.info(
        "statistics aggregated",
        extra={"date_from": str(date_from), "date_to": str(date_to), "rows": counts.ridership},
    )
    return counts
