"""Selectors for the city's statistics: the aggregates summed over a date range and
k-anonymised, as tables the API and the open-data export render. Only counts leave here.
See docs/statistics.md for the suppression rule of each table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, FloatField, Max, Sum
from django.db.models.functions import Cast

from maas.platform.anonymity import suppress_cells, suppress_cells_2d
from maas.platform.models import BikeshareHourly, OdHourly, OnDemandHourly, RidershipHourly

RIDERSHIP_GROUPS = ("operator", "route", "stop", "mode", "hour", "day", "visitor_type")
ONDEMAND_GROUPS = ("operator", "hour", "day")


@dataclass
class StatsTable:
    """One k-anonymous table. `fields` are (name, Table Schema type) in column order;
    `geometry` says how rows become GeoJSON features (None: not spatial)."""

    name: str
    k: int
    fields: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    total: int | None
    parameters: dict[str, Any] = field(default_factory=dict)
    geometry: str | None = None  # "mesh" (origin cell polygon) | "point" (lat/lon)


def _days(date_from: dt.date, date_to: dt.date) -> dict[str, dt.date]:
    return {"date__gte": date_from, "date__lte": date_to}


def _key(group_by: str, value: Any) -> str:
    if group_by == "hour":
        return f"{int(value):02d}"
    if group_by == "day":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


def ridership_table(
    *, date_from: dt.date, date_to: dt.date, group_by: str, k: int, measure: str = "trips"
) -> StatsTable:
    """Booked trips (or valid ticket validations) per `group_by` value, k-anonymised with
    `suppress_cells` (one-way table: primary + one complementary cell)."""
    column = {"day": "date"}.get(group_by, group_by)
    counts = {
        _key(group_by, row[column]): row["n"] or 0
        for row in RidershipHourly.objects.filter(**_days(date_from, date_to))
        .values(column)
        .annotate(n=Sum(measure))
        .order_by(column)
    }
    counts = {key: n for key, n in counts.items() if n}
    table = suppress_cells(counts=counts, k=k)
    return StatsTable(
        name=f"ridership_by_{group_by}",
        k=k,
        fields=[(group_by, "string"), (measure, "integer"), ("suppressed", "boolean")],
        rows=[{group_by: c.key, measure: c.count, "suppressed": c.suppressed} for c in table.cells],
        total=table.total,
        parameters={"group_by": group_by, "measure": measure},
    )


def od_table(
    *,
    date_from: dt.date,
    date_to: dt.date,
    level: int,
    k: int,
    mode: str | None = None,
    hour: int | None = None,
) -> StatsTable:
    """Trips from origin cell to destination cell (JIS X 0410 `level`), two-way
    suppression (`suppress_cells_2d`: per table, origin row and destination column)."""
    rows = OdHourly.objects.filter(level=level, **_days(date_from, date_to))
    if mode:
        rows = rows.filter(mode=mode)
    if hour is not None:
        rows = rows.filter(hour=hour)
    counts = {
        (row["origin"], row["destination"]): row["n"]
        for row in rows.values("origin", "destination").annotate(n=Sum("trips"))
        if row["n"]
    }
    hidden = suppress_cells_2d(counts=counts, k=k)
    total = sum(counts.values())
    return StatsTable(
        name=f"od_mesh{level}",
        k=k,
        fields=[
            ("origin", "string"),
            ("destination", "string"),
            ("trips", "integer"),
            ("suppressed", "boolean"),
        ],
        rows=[
            {
                "origin": origin,
                "destination": destination,
                "trips": None if (origin, destination) in hidden else n,
                "suppressed": (origin, destination) in hidden,
            }
            for (origin, destination), n in sorted(counts.items())
        ],
        total=total if total >= k or total == 0 else None,
        parameters={"mesh_level": level, "mode": mode, "hour": hour},
        geometry="mesh",
    )


def bikeshare_table(*, date_from: dt.date, date_to: dt.date, k: int) -> StatsTable:
    """Per station: pick-ups and returns (each column k-anonymised on its own with
    `suppress_cells`) and the mean occupancy weighted by observed time (a station's
    occupancy is public GBFS state and is not suppressed)."""
    stations = list(
        BikeshareHourly.objects.filter(**_days(date_from, date_to))
        .values("station")
        .annotate(
            name=Max("station_name"),
            lat=Max("lat"),
            lon=Max("lon"),
            pickups=Sum("pickups"),
            returns=Sum("returns"),
            occupied=Sum(F("occupancy") * Cast("observed_s", FloatField())),
        )
        .order_by("station")
    )
    weights = dict(
        BikeshareHourly.objects.filter(occupancy__isnull=False, **_days(date_from, date_to))
        .values("station")
        .annotate(s=Sum("observed_s"))
        .values_list("station", "s")
    )
    pickups = suppress_cells(counts={s["station"]: s["pickups"] for s in stations}, k=k)
    returns = suppress_cells(counts={s["station"]: s["returns"] for s in stations}, k=k)
    hidden_pickups = {c.key for c in pickups.cells if c.suppressed}
    hidden_returns = {c.key for c in returns.cells if c.suppressed}
    rows = []
    for s in stations:
        weight = weights.get(s["station"]) or 0
        rows.append(
            {
                "station": s["station"],
                "name": s["name"],
                "lat": s["lat"],
                "lon": s["lon"],
                "pickups": None if s["station"] in hidden_pickups else s["pickups"],
                "returns": None if s["station"] in hidden_returns else s["returns"],
                "occupancy": round((s["occupied"] or 0.0) / weight, 4) if weight else None,
                "suppressed": s["station"] in hidden_pickups | hidden_returns,
            }
        )
    return StatsTable(
        name="bikeshare_stations",
        k=k,
        fields=[
            ("station", "string"),
            ("name", "string"),
            ("lat", "number"),
            ("lon", "number"),
            ("pickups", "integer"),
            ("returns", "integer"),
            ("occupancy", "number"),
            ("suppressed", "boolean"),
        ],
        rows=rows,
        total=pickups.total,
        geometry="point",
    )


def ondemand_table(*, date_from: dt.date, date_to: dt.date, group_by: str, k: int) -> StatsTable:
    """Rides, passengers (seats), seat occupancy and refused requests per operator, hour of
    day or day. Rides are k-anonymised with `suppress_cells`; passengers and occupancy are
    hidden on the same rows (passengers >= rides, so a small passenger count is always on
    a hidden row); refused requests are k-anonymised on their own."""
    column = {"day": "date"}.get(group_by, group_by)
    base = OnDemandHourly.objects.filter(**_days(date_from, date_to))
    fleet_by_operator = dict(
        base.values("operator").annotate(f=Max("fleet_seats")).values_list("operator", "f")
    )
    fleet = sum(fleet_by_operator.values())
    hours_in_range = ((date_to - date_from).days + 1) * 24
    groups = list(
        base.values(column)
        .annotate(
            rides=Sum("rides"),
            passengers=Sum("passengers"),
            seat_seconds=Sum("seat_seconds"),
            refused=Sum("refused"),
        )
        .order_by(column)
    )
    keyed = {_key(group_by, g[column]): g for g in groups}
    rides = suppress_cells(counts={key: g["rides"] for key, g in keyed.items()}, k=k)
    refused = suppress_cells(counts={key: g["refused"] for key, g in keyed.items()}, k=k)
    hidden = {c.key for c in rides.cells if c.suppressed}
    hidden_refused = {c.key for c in refused.cells if c.suppressed}
    rows = []
    for key, g in sorted(keyed.items()):
        if group_by == "operator":
            capacity_s = (fleet_by_operator.get(key) or 0) * hours_in_range * 3600
        elif group_by == "hour":
            capacity_s = fleet * (hours_in_range // 24) * 3600
        else:
            capacity_s = fleet * 24 * 3600
        occupancy = round(g["seat_seconds"] / capacity_s, 4) if capacity_s else None
        rows.append(
            {
                group_by: key,
                "rides": None if key in hidden else g["rides"],
                "passengers": None if key in hidden else g["passengers"],
                "seat_occupancy": None if key in hidden else occupancy,
                "refused": None if key in hidden_refused else g["refused"],
                "suppressed": key in hidden or key in hidden_refused,
            }
        )
    return StatsTable(
        name=f"ondemand_by_{group_by}",
        k=k,
        fields=[
            (group_by, "string"),
            ("rides", "integer"),
            ("passengers", "integer"),
            ("seat_occupancy", "number"),
            ("refused", "integer"),
            ("suppressed", "boolean"),
        ],
        rows=rows,
        total=rides.total,
        parameters={"group_by": group_by},
    )


def open_data_tables(*, date_from: dt.date, date_to: dt.date, k: int) -> list[StatsTable]:
    """The tables of the open-data package: every one k-anonymised as the API serves it."""
    window: dict[str, Any] = {"date_from": date_from, "date_to": date_to, "k": k}
    return [
        *(
            ridership_table(group_by=group_by, **window)
            for group_by in ("operator", "mode", "route", "day", "hour", "visitor_type")
        ),
        od_table(level=2, **window),
        od_table(level=3, **window),
        bikeshare_table(**window),
        ondemand_table(group_by="operator", **window),
        ondemand_table(group_by="day", **window),
    ]
