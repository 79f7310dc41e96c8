"""Validate a GTFS / GTFS-Flex feed and turn its files into load-ready tables.

Every problem is collected (code, file, row, field, message) with the MobilityData GTFS
Validator's notice code where one exists; the checks are vectorised with pandas so a
feed with half a million stop_times validates in about a second.
"""

from __future__ import annotations

import json
import logging
import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from operators.gtfs.reader import FeedArchive, csv_read, text_decode
from operators.gtfs.schema import LOCATIONS_FILE, TABLES, TABLES_BY_FILE, Column, Table
from operators.validation import IssueCollector

logger = logging.getLogger(__name__)

_TIME_RE = r"^(\d{1,3}):([0-5]\d):([0-5]\d)$"
_DATE_RE = r"^\d{8}$"
_COLOR_RE = r"^[0-9A-Fa-f]{6}$"
_INT_RE = r"^-?\d+$"
_FLEX_FILES = ("locations.geojson", "location_groups.txt", "booking_rules.txt")
# Report at most this many rows per check with their own issue; the collector keeps a
# readable number anyway, and a million bad rows should not cost a million objects.
_MAX_ROWS_REPORTED = 1000


@dataclass
class ParsedFeed:
    """Load-ready tables: file -> DataFrame whose columns are model field names."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    locations: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def _rows(
    issues: IssueCollector,
    mask: pd.Series,
    *,
    code: str,
    file: str,
    field: str | None,
    message: Callable[[int], str],
    warning: bool = False,
) -> int:
    """One issue per row where `mask` is true; returns how many rows were bad."""
    bad = np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False))
    add = issues.warning if warning else issues.error
    for position in bad[:_MAX_ROWS_REPORTED]:
        row = int(mask.index[position]) + 1
        add(code, message(int(mask.index[position])), file=file, row=row, field=field)
    return len(bad)


class FeedValidator:
    def __init__(self, *, archive: FeedArchive, issues: IssueCollector, flex: bool) -> None:
        self.archive = archive
        self.issues = issues
        self.flex = flex
        self.raw: dict[str, pd.DataFrame] = {}
        self.out = ParsedFeed()

    # ------------------------------------------------------------------ entry point

    def run(self) -> ParsedFeed | None:
        files = self.archive.files
        known = {*TABLES_BY_FILE, LOCATIONS_FILE}
        for name in sorted(files):
            if name not in known:
                self.issues.warning(
                    "unknown_file", f"{name} is not a GTFS file we read; it was ignored.", file=name
                )
        self._required_files()
        for table in TABLES:
            if table.file in files:
                self._read_table(table)
        if LOCATIONS_FILE in files:
            self._read_locations()
        self._cross_checks()
        if "stop_times.txt" in self.out.tables:
            self._stop_times_times()
        self._meta()
        return self.out

    def _required_files(self) -> None:
        files = self.archive.files
        has_locations = LOCATIONS_FILE in files
        for table in TABLES:
            if not table.required or table.file in files:
                continue
            if table.file == "stops.txt" and has_locations:
                continue  # GTFS-Flex: stops.txt is optional when zones are given
            self.issues.error(
                "missing_required_file", f"{table.file} is required.", file=table.file
            )
        if "calendar.txt" not in files and "calendar_dates.txt" not in files:
            self.issues.error(
                "missing_calendar_and_calendar_date_files",
                "Either calendar.txt or calendar_dates.txt (or both) is required.",
                file="calendar.txt",
            )
        if self.flex and not any(f in files for f in _FLEX_FILES):
            self.issues.error(
                "missing_required_file",
                "A GTFS-Flex feed needs locations.geojson, location_groups.txt or "
                "booking_rules.txt.",
                file=LOCATIONS_FILE,
            )

    # ------------------------------------------------------------------ one table

    def _decode(self, file: str) -> str | None:
        data = self.archive.files[file]
        if not data.strip():
            table = TABLES_BY_FILE.get(file)
            add = self.issues.error if table is not None and table.required else self.issues.warning
            add("empty_file", f"{file} is empty.", file=file)
            return None
        return text_decode(data, file=file, issues=self.issues)

    def _read_table(self, table: Table) -> None:
        file = table.file
        text = self._decode(file)
        if text is None:
            return
        df = csv_read(text, file=file, issues=self.issues)
        if df is None:
            return
        if file == "translations.txt" and "trans_id" in df.columns:
            df = self._legacy_translations(df)
        df = self._apply_aliases(table, df)
        flex_without_stops = file == "stops.txt" and LOCATIONS_FILE in self.archive.files
        if df.empty and table.required and not flex_without_stops:
            self.issues.error("empty_file", f"{file} has no data rows.", file=file)
        self.raw[file] = df
        known = {c.name for c in table.columns}
        unknown = [c for c in df.columns if c not in known]
        for column in unknown:
            self.issues.warning(
                "unknown_column",
                f"{file} has the column {column!r}, which is not in the GTFS reference; its "
                "values are kept as extra data.",
                file=file,
                field=column,
            )
        out = pd.DataFrame(index=df.index)
        for column in table.columns:
            if column.name not in df.columns:
                if column.required:
                    self.issues.error(
                        "missing_required_column",
                        f"{file} has no {column.name} column.",
                        file=file,
                        field=column.name,
                    )
                df[column.name] = ""
                out[column.model_field] = _blank_column(column.kind, df.index)
                continue
            out[column.model_field] = self._convert(table, column, df[column.name])
        if unknown:
            out["extra"] = _extra_json(df[unknown])
        self._check_keys(table, df)
        self.out.tables[file] = out
        self.out.counts[table.name] = len(df)

    def _legacy_translations(self, df: pd.DataFrame) -> pd.DataFrame:
        self.issues.warning(
            "legacy_translations",
            "translations.txt is in the GTFS-JP v1 form (trans_id, lang, translation); it was "
            "read as text-to-translation pairs.",
            file="translations.txt",
        )
        return pd.DataFrame(
            {
                "language": df.get("lang", pd.Series("", index=df.index)),
                "translation": df.get("translation", pd.Series("", index=df.index)),
                "field_value": df["trans_id"],
            },
            index=df.index,
        )

    def _apply_aliases(self, table: Table, df: pd.DataFrame) -> pd.DataFrame:
        for alias, standard in table.aliases.items():
            if alias not in df.columns:
                continue
            if standard in df.columns:
                self.issues.warning(
                    "nonstandard_column_name",
                    f"{table.file} has both {alias!r} and {standard!r}; {standard!r} is used "
                    f"and {alias!r} kept as extra data.",
                    file=table.file,
                    field=alias,
                )
                continue
            self.issues.warning(
                "nonstandard_column_name",
                f"{table.file} names a column {alias!r}; it was read as {standard!r} "
                "(the adopted GTFS-Flex name).",
                file=table.file,
                field=alias,
            )
            df = df.rename(columns={alias: standard})
        return df

    def _convert(self, table: Table, column: Column, s: pd.Series) -> pd.Series:
        file, name, kind = table.file, column.name, column.kind
        blank = s == ""
        if column.required:
            _rows(
                self.issues,
                blank,
                code="missing_required_field",
                file=file,
                field=name,
                message=lambda i: f"{name} is required.",
            )
        if kind in ("text", "id"):
            return s
        if kind == "url":
            bad = ~blank & ~s.str.match(r"^https?://", case=False)
            _rows(
                self.issues,
                bad,
                code="invalid_url",
                file=file,
                field=name,
                message=lambda i: f"{s[i]!r} is not an http(s) URL.",
            )
            return s
        if kind == "tz":
            zones = zoneinfo.available_timezones()
            bad = ~blank & ~s.isin(zones)
            _rows(
                self.issues,
                bad,
                code="invalid_timezone",
                file=file,
                field=name,
                message=lambda i: f"{s[i]!r} is not an IANA time zone.",
            )
            return s
        if kind == "color":
            bad = ~blank & ~s.str.match(_COLOR_RE)
            _rows(
                self.issues,
                bad,
                code="invalid_color",
                file=file,
                field=name,
                message=lambda i: f"{s[i]!r} is not a six-digit hex colour.",
            )
            return s
        if kind == "time":
            seconds, bad = _times_parse(s, blank)
            _rows(
                self.issues,
                bad,
                code="invalid_time",
                file=file,
                field=name,
                message=lambda i: f"{s[i]!r} is not a time H:MM:SS (minutes and seconds 00-59).",
            )
            return seconds
        if kind == "date":
            parsed = pd.to_datetime(
                s.where(s.str.match(_DATE_RE)), format="%Y%m%d", errors="coerce"
            )
            bad = ~blank & parsed.isna()
            _rows(
                self.issues,
                bad,
                code="invalid_date",
                file=file,
                field=name,
                message=lambda i: f"{s[i]!r} is not a date YYYYMMDD.",
            )
            return pd.Series(
                [d.date() if not pd.isna(d) else None for d in parsed], index=s.index, dtype=object
            )
        if kind == "bool":
            bad = ~blank & ~s.isin(("0", "1"))
            _rows(
                self.issues,
                bad,
                code="unexpected_enum_value",
                file=file,
                field=name,
                message=lambda i: f"{s[i]!r} must be 0 or 1.",
            )
            return s == "1"
        # numbers
        numbers, bad = _numbers_parse(s, blank, integer=kind == "int")
        if kind == "int":
            code, what = "invalid_integer", "an integer"
        else:
            code, what = "invalid_float", "a number"
        _rows(
            self.issues,
            bad,
            code=code,
            file=file,
            field=name,
            message=lambda i: f"{s[i]!r} is not {what}.",
        )
        numbers = numbers.where(~bad)
        low, high = column.min_value, column.max_value
        if kind == "lat":
            low, high = -90.0, 90.0
        elif kind == "lon":
            low, high = -180.0, 180.0
        out_of_range = pd.Series(False, index=s.index)
        if low is not None:
            out_of_range |= numbers < low
        if high is not None:
            out_of_range |= numbers > high
        if kind in ("lat", "lon"):
            # reported together with the other coordinate in _coordinates()
            pass
        else:
            _rows(
                self.issues,
                out_of_range,
                code="number_out_of_range",
                file=file,
                field=name,
                message=lambda i: f"{s[i]} is outside [{low}, {high}].",
            )
        if column.choices:
            unexpected = numbers.notna() & ~numbers.isin(column.choices)
            _rows(
                self.issues,
                unexpected,
                code="unexpected_enum_value",
                file=file,
                field=name,
                message=lambda i: f"{s[i]} is not one of {list(column.choices)}.",
                warning=True,
            )
        if kind == "int":
            return numbers.round().astype("Int64")
        if kind == "decimal":
            return s.where(~blank & ~bad, None).astype(object)
        return numbers.astype("float64")

    def _check_keys(self, table: Table, df: pd.DataFrame) -> None:
        if not table.key or df.empty:
            return
        key = list(table.key)
        keyed = df[key]
        dup = keyed.duplicated(keep="first") & (keyed != "").all(axis=1)
        if not dup.any():
            return
        if table.file == "stop_times.txt":
            # The same row twice (seen in real Flex exports) is harmless: warn.
            identical = df.duplicated(keep="first")
            _rows(
                self.issues,
                dup & identical,
                code="duplicate_row",
                file=table.file,
                field="stop_sequence",
                message=lambda i: (
                    f"This row repeats an earlier row of trip {df.at[i, 'trip_id']!r}."
                ),
                warning=True,
            )
            dup &= ~identical
        _rows(
            self.issues,
            dup,
            code="duplicate_key",
            file=table.file,
            field=",".join(key),
            message=lambda i: (
                "The key ("
                + ", ".join(f"{k}={df.at[i, k]!r}" for k in key)
                + ") appears on an earlier row too."
            ),
        )

    # ------------------------------------------------------------------ locations.geojson

    def _read_locations(self) -> None:
        file = LOCATIONS_FILE
        text = self._decode(file)
        if text is None:
            return
        try:
            doc = json.loads(text)
        except ValueError as exc:
            self.issues.error("malformed_json", f"{file} is not valid JSON: {exc}.", file=file)
            return
        features = doc.get("features") if isinstance(doc, dict) else None
        if not isinstance(features, list):
            self.issues.error(
                "malformed_json", f"{file} is not a GeoJSON FeatureCollection.", file=file
            )
            return
        seen: set[str] = set()
        for row, feature in enumerate(features, start=1):
            location = _location_of(feature, row=row, file=file, issues=self.issues, seen=seen)
            if location is not None:
                self.out.locations.append(location)
        self.out.counts["locations"] = len(features)

    # ------------------------------------------------------------------ across tables

    def _ids(self, file: str, column: str) -> set[str]:
        df = self.raw.get(file)
        if df is None or column not in df.columns:
            return set()
        return set(df[column].unique()) - {""}

    def _fk(self, file: str, column: str, target: set[str], target_name: str) -> pd.Series | None:
        df = self.raw.get(file)
        if df is None or column not in df.columns:
            return None
        if target_name in self.archive.files and target_name not in self.raw:
            return None  # the target file could not be read: that error is reported already
        values = df[column]
        bad = (values != "") & ~values.isin(target)
        _rows(
            self.issues,
            bad,
            code="foreign_key_violation",
            file=file,
            field=column,
            message=lambda i: f"{column} {values[i]!r} is not in {target_name}.",
        )
        return bad

    def _cross_checks(self) -> None:
        stops = self._ids("stops.txt", "stop_id")
        location_ids = {loc["location_id"] for loc in self.out.locations}
        group_ids = self._ids("location_groups.txt", "location_group_id")
        trips = self._ids("trips.txt", "trip_id")
        routes = self._ids("routes.txt", "route_id")
        services = self._ids("calendar.txt", "service_id") | self._ids(
            "calendar_dates.txt", "service_id"
        )
        agencies = self._ids("agency.txt", "agency_id")
        shapes = self._ids("shapes.txt", "shape_id")
        rules = self._ids("booking_rules.txt", "booking_rule_id")
        self._stops_checks(stops)
        if "shapes.txt" in self.out.tables:
            self._coordinates(
                "shapes.txt",
                self.out.tables["shapes.txt"],
                "shape_pt_lat",
                "shape_pt_lon",
                self.raw["shapes.txt"],
            )
        self._routes_checks(agencies)
        self._fk("trips.txt", "route_id", routes, "routes.txt")
        if "calendar.txt" in self.raw or "calendar_dates.txt" in self.raw:
            self._fk("trips.txt", "service_id", services, "calendar.txt or calendar_dates.txt")
        if shapes or "shapes.txt" in self.raw:
            self._fk("trips.txt", "shape_id", shapes, "shapes.txt")
        else:
            self._fk("trips.txt", "shape_id", shapes, "shapes.txt (absent)")
        self._stop_times_refs(stops, location_ids, group_ids, trips, rules)
        self._fk("frequencies.txt", "trip_id", trips, "trips.txt")
        for column in ("from_stop_id", "to_stop_id"):
            self._fk("transfers.txt", column, stops, "stops.txt")
            self._fk("pathways.txt", column, stops, "stops.txt")
        for column in ("from_route_id", "to_route_id"):
            self._fk("transfers.txt", column, routes, "routes.txt")
        for column in ("from_trip_id", "to_trip_id"):
            self._fk("transfers.txt", column, trips, "trips.txt")
        self._fk(
            "fare_rules.txt",
            "fare_id",
            self._ids("fare_attributes.txt", "fare_id"),
            "fare_attributes.txt",
        )
        self._fk("fare_rules.txt", "route_id", routes, "routes.txt")
        self._fk("location_group_stops.txt", "location_group_id", group_ids, "location_groups.txt")
        self._fk("location_group_stops.txt", "stop_id", stops, "stops.txt")
        if "agency_jp.txt" in self.raw:
            self._fk("agency_jp.txt", "agency_id", agencies, "agency.txt")
        if "office_jp.txt" in self.raw:
            self._fk(
                "trips.txt",
                "jp_office_id",
                self._ids("office_jp.txt", "office_id"),
                "office_jp.txt",
            )
        if "pattern_jp.txt" in self.raw:
            self._fk(
                "trips.txt",
                "jp_pattern_id",
                self._ids("pattern_jp.txt", "jp_pattern_id"),
                "pattern_jp.txt",
            )

    def _stops_checks(self, stops: set[str]) -> None:
        df = self.raw.get("stops.txt")
        if df is None or df.empty:
            return
        file = "stops.txt"
        out = self.out.tables[file]
        lt = out["location_type"].fillna(0)
        out["location_type"] = lt
        needs_position = lt.isin((0, 1, 2))
        for column in ("stop_name", "stop_lat", "stop_lon"):
            _rows(
                self.issues,
                needs_position & (df[column] == ""),
                code="missing_required_field",
                file=file,
                field=column,
                message=_fixed(f"{column} is required for location_type 0, 1 and 2."),
            )
        _rows(
            self.issues,
            lt.isin((2, 3, 4)) & (df["parent_station"] == ""),
            code="missing_required_field",
            file=file,
            field="parent_station",
            message=lambda i: "parent_station is required for location_type 2, 3 and 4.",
        )
        self._fk(file, "parent_station", stops, "stops.txt")
        if "levels.txt" in self.raw:
            self._fk(file, "level_id", self._ids("levels.txt", "level_id"), "levels.txt")
        self._coordinates(file, out, "stop_lat", "stop_lon", df)

    def _coordinates(
        self, file: str, out: pd.DataFrame, lat_col: str, lon_col: str, raw: pd.DataFrame
    ) -> None:
        lat, lon = out[lat_col], out[lon_col]
        lat_bad = (lat < -90) | (lat > 90)
        lon_bad = (lon < -180) | (lon > 180)
        swapped_out = lat_bad & ~lon_bad & (lat.abs() <= 180) & (lon.abs() <= 90)
        swapped_in = _swapped_within_range(lat, lon, lat_bad | lon_bad)
        swapped = swapped_out | swapped_in
        for rows, why in (
            (swapped_out, "a latitude must lie within ±90°"),
            (
                swapped_in,
                "as published the stop lies far from all the others; swapped back it lies "
                "among them",
            ),
        ):

            def swapped_message(i: int, why: str = why) -> str:
                return (
                    f"{lat_col}={raw.at[i, lat_col]} and {lon_col}="
                    f"{raw.at[i, lon_col]}: latitude and longitude look swapped ({why})."
                )

            _rows(
                self.issues,
                rows,
                code="swapped_coordinates",
                file=file,
                field=lat_col,
                message=swapped_message,
            )
        for column, bad, limit in ((lat_col, lat_bad & ~swapped, 90), (lon_col, lon_bad, 180)):
            _rows(
                self.issues,
                bad,
                code="number_out_of_range",
                file=file,
                field=column,
                message=_out_of_range(raw, column, limit),
            )
        null_island = (lat.abs() < 1e-6) & (lon.abs() < 1e-6)
        _rows(
            self.issues,
            null_island,
            code="point_near_origin",
            file=file,
            field=lat_col,
            message=lambda i: "The point is at 0,0 (a missing coordinate?).",
            warning=True,
        )

    def _routes_checks(self, agencies: set[str]) -> None:
        df = self.raw.get("routes.txt")
        if df is None or df.empty:
            return
        _rows(
            self.issues,
            (df["route_short_name"] == "") & (df["route_long_name"] == ""),
            code="route_both_short_and_long_name_missing",
            file="routes.txt",
            field="route_short_name",
            message=lambda i: "A route needs route_short_name or route_long_name.",
        )
        agency_df = self.raw.get("agency.txt")
        if agency_df is not None and len(agency_df) > 1:
            _rows(
                self.issues,
                df["agency_id"] == "",
                code="missing_required_field",
                file="routes.txt",
                field="agency_id",
                message=lambda i: "agency_id is required when agency.txt lists several agencies.",
            )
        if agencies:
            self._fk("routes.txt", "agency_id", agencies, "agency.txt")

    def _stop_times_refs(
        self,
        stops: set[str],
        location_ids: set[str],
        group_ids: set[str],
        trips: set[str],
        rules: set[str],
    ) -> None:
        file = "stop_times.txt"
        df = self.raw.get(file)
        if df is None:
            return
        out = self.out.tables[file]
        self._fk(file, "trip_id", trips, "trips.txt")
        stop_id = df["stop_id"]
        # Older Flex drafts put zone (location) and group ids into stop_id.
        as_location = (stop_id != "") & ~stop_id.isin(stops) & stop_id.isin(location_ids)
        # Trillium's Flex v2 exports point stop_id at an areas.txt area (a group of stops).
        area_ids = self._area_ids() if "areas.txt" in self.archive.files else set()
        group_ids = group_ids | area_ids
        as_group = (stop_id != "") & ~stop_id.isin(stops) & stop_id.isin(group_ids)
        moved = as_location | as_group
        if moved.any():
            self.issues.warning(
                "flex_location_in_stop_id",
                f"{int(moved.sum())} stop_times rows reference a locations.geojson zone or a "
                "location group (or an areas.txt area) through stop_id (an older GTFS-Flex "
                "draft); they were read as location_id / location_group_id.",
                file=file,
                field="stop_id",
            )
            out.loc[as_location, "location_id"] = stop_id[as_location]
            out.loc[as_group & ~as_location, "location_group_id"] = stop_id[as_group & ~as_location]
            out.loc[moved, "stop_id"] = ""
            df.loc[moved, "stop_id"] = ""
        self._fk(file, "stop_id", stops, "stops.txt")
        self._fk(file, "location_id", location_ids, LOCATIONS_FILE)
        self._fk(file, "location_group_id", group_ids, "location_groups.txt")
        for column in ("pickup_booking_rule_id", "drop_off_booking_rule_id"):
            self._fk(file, column, rules, "booking_rules.txt")
        none = (df["stop_id"] == "") & (out["location_id"] == "") & (out["location_group_id"] == "")
        _rows(
            self.issues,
            none,
            code="missing_required_field",
            file=file,
            field="stop_id",
            message=lambda i: "Each row needs a stop_id, location_id or location_group_id.",
        )

    def _area_ids(self) -> set[str]:
        text = self._decode("areas.txt")
        df = csv_read(text, file="areas.txt", issues=self.issues) if text else None
        if df is None or "area_id" not in df.columns:
            return set()
        return set(df["area_id"].unique()) - {""}

    # ------------------------------------------------------------------ stop_times times

    def _stop_times_times(self) -> None:
        """Fill arrival from departure and vice versa; interpolate blank times between
        timepoints (flagged `interpolated`); the first and last stop of a trip need times.
        GTFS-Flex rows (with a pickup/drop-off window, or a zone) keep no times."""
        file = "stop_times.txt"
        out = self.out.tables[file]
        arr, dep = out["arrival_s"], out["departure_s"]
        out["arrival_s"] = arr.fillna(dep)
        out["departure_s"] = dep.fillna(arr)
        flex_row = (
            out["start_pickup_drop_off_window_s"].notna()
            | out["end_pickup_drop_off_window_s"].notna()
            | (out["location_id"] != "")
            | (out["location_group_id"] != "")
        )
        out["interpolated"] = False
        fixed = out.loc[~flex_row, ["trip_id", "stop_sequence", "arrival_s", "departure_s"]]
        if fixed.empty:
            return
        fixed = fixed.sort_values(["trip_id", "stop_sequence"], kind="stable")
        trip = fixed["trip_id"]
        first = ~trip.duplicated(keep="first")
        last = ~trip.duplicated(keep="last")
        missing = fixed["arrival_s"].isna()
        _rows(
            self.issues,
            (first | last) & missing,
            code="missing_trip_edge",
            file=file,
            field="arrival_time",
            message=lambda i: (
                "The first and last stop of a trip need arrival_time and departure_time."
            ),
        )
        if missing.any():
            positions = pd.RangeIndex(len(fixed))
            arrival = pd.Series(
                fixed["arrival_s"].to_numpy(dtype="float64", na_value=np.nan), index=positions
            )
            departure = pd.Series(
                fixed["departure_s"].to_numpy(dtype="float64", na_value=np.nan), index=positions
            )
            # Each trip starts and ends with known times (checked above), so a linear fill
            # over the sorted rows never crosses from one trip into the next.
            arrival = arrival.interpolate(limit_area="inside").round()
            departure = departure.interpolate(limit_area="inside").round()
            out.loc[fixed.index, "arrival_s"] = pd.array(arrival.to_numpy(), dtype="Int64")
            out.loc[fixed.index, "departure_s"] = pd.array(departure.to_numpy(), dtype="Int64")
            out.loc[fixed.index[missing.to_numpy()], "interpolated"] = True
        late = fixed["departure_s"] < fixed["arrival_s"]
        _rows(
            self.issues,
            late.fillna(False),
            code="stop_time_with_departure_before_arrival_time",
            file=file,
            field="departure_time",
            message=lambda i: "departure_time is before arrival_time.",
        )

    # ------------------------------------------------------------------ meta

    def _meta(self) -> None:
        meta: dict[str, Any] = {}
        agency = self.raw.get("agency.txt")
        if agency is not None and not agency.empty and "agency_timezone" in agency.columns:
            meta["timezone"] = agency["agency_timezone"].iloc[0]
        dates: list[Any] = []
        calendar = self.out.tables.get("calendar.txt")
        if calendar is not None and not calendar.empty:
            dates += [calendar["start_date"].dropna().min(), calendar["end_date"].dropna().max()]
        calendar_dates = self.out.tables.get("calendar_dates.txt")
        if calendar_dates is not None and not calendar_dates.empty:
            dates += [calendar_dates["date"].dropna().min(), calendar_dates["date"].dropna().max()]
        dates = [d for d in dates if d is not None and not pd.isna(d)]
        if dates:
            meta["service_period"] = {
                "start": min(dates).isoformat(),
                "end": max(dates).isoformat(),
            }
        feed_info = self.raw.get("feed_info.txt")
        if feed_info is not None and not feed_info.empty:
            meta["feed_info"] = {k: v for k, v in feed_info.iloc[0].to_dict().items() if v != ""}
        jp: dict[str, Any] = {}
        for file, key in (
            ("agency_jp.txt", "agency_jp"),
            ("office_jp.txt", "office_jp"),
            ("pattern_jp.txt", "pattern_jp"),
            ("routes_jp.txt", "routes_jp"),
        ):
            df = self.raw.get(file)
            if df is not None:
                # agency_jp/office_jp are a handful of rows: kept whole; the others counted
                if key in ("agency_jp", "office_jp"):
                    jp[key] = [
                        {k: v for k, v in row.items() if v != ""} for row in df.to_dict("records")
                    ]
                else:
                    jp[key] = {"count": len(df)}
        if jp:
            meta["gtfs_jp"] = jp
        if "translations.txt" in self.raw:
            languages = self.out.tables["translations.txt"]["language"].unique().tolist()
            meta["translation_languages"] = sorted(str(lang) for lang in languages if lang)
        self.out.meta = meta


def _fixed(text: str) -> Callable[[int], str]:
    return lambda _: text


def _out_of_range(raw: pd.DataFrame, column: str, limit: int) -> Callable[[int], str]:
    return lambda i: f"{column}={raw.at[i, column]} is outside ±{limit}°."


def _blank_column(kind: str, index: pd.Index) -> pd.Series:
    """The converted form of a column the file does not have."""
    if kind in ("int", "time"):
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if kind in ("float", "lat", "lon"):
        return pd.Series(np.nan, index=index, dtype="float64")
    if kind in ("decimal", "date"):
        return pd.Series(None, index=index, dtype=object)
    if kind == "bool":
        return pd.Series(False, index=index, dtype=bool)
    return pd.Series("", index=index, dtype=object)


def _times_parse(s: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series]:
    """GTFS times "H:MM:SS" / "HH:MM:SS" / "HHH:MM:SS" -> seconds (Int64) and the mask of
    non-blank values that are not such a time. Vectorised on the bytes; values that are not
    ASCII fall back to a regular expression."""
    if s.empty:
        return pd.Series(pd.NA, index=s.index, dtype="Int64"), pd.Series(False, index=s.index)
    values = np.asarray(s.to_numpy(dtype=object), dtype=str)
    try:
        padded = np.strings.rjust(values, 9, "0").astype("S9")
    except UnicodeEncodeError:
        parts = s.str.extract(_TIME_RE)
        bad = ~blank & parts[0].isna()
        seconds = (
            pd.to_numeric(parts[0]) * 3600 + pd.to_numeric(parts[1]) * 60 + pd.to_numeric(parts[2])
        )
        return seconds.astype("Int64"), bad
    lengths = np.strings.str_len(values)
    d = np.frombuffer(padded.tobytes(), dtype=np.uint8).reshape(len(values), 9).astype(np.int32)
    d -= ord("0")
    colon = ord(":") - ord("0")
    digits = d[:, [0, 1, 2, 4, 5, 7, 8]]
    ok = (
        (lengths >= 7)
        & (lengths <= 9)
        & (d[:, 3] == colon)
        & (d[:, 6] == colon)
        & ((digits >= 0) & (digits <= 9)).all(axis=1)
        & (d[:, 4] <= 5)
        & (d[:, 7] <= 5)
    )
    seconds = (
        (d[:, 0] * 100 + d[:, 1] * 10 + d[:, 2]) * 3600
        + (d[:, 4] * 10 + d[:, 5]) * 60
        + d[:, 7] * 10
        + d[:, 8]
    )
    result = pd.Series(pd.array(np.where(ok, seconds, 0), dtype="Int64"), index=s.index)
    result[~ok] = pd.NA
    return result, ~blank & pd.Series(~ok, index=s.index)


def _numbers_parse(s: pd.Series, blank: pd.Series, *, integer: bool) -> tuple[pd.Series, pd.Series]:
    """Numbers (float64, NaN where blank or bad) and the mask of non-blank values that are
    not numbers (for `integer`: not integers). numpy parses the whole column in C; only a
    column with a bad value takes the slow per-value path."""
    values = np.asarray(s.to_numpy(dtype=object), dtype=str)
    blank_np = blank.to_numpy(dtype=bool)
    try:
        if integer:
            parsed = np.where(blank_np, "0", values).astype(np.int64).astype(np.float64)
        else:
            parsed = np.where(blank_np, "nan", values).astype(np.float64)
        parsed[blank_np] = np.nan
        return pd.Series(parsed, index=s.index), pd.Series(False, index=s.index)
    except (ValueError, OverflowError):
        pass
    numbers = pd.to_numeric(s.where(~blank), errors="coerce")
    bad = ~blank & (~s.str.match(_INT_RE) if integer else numbers.isna())
    return numbers.where(~bad).astype("float64"), bad


def _extra_json(df: pd.DataFrame) -> pd.Series:
    """{column: value} of the non-empty extra columns per row, as JSON text (None if all
    empty)."""
    records = df.to_dict("records")
    values = []
    for record in records:
        kept = {k: v for k, v in record.items() if v != ""}
        values.append(json.dumps(kept, ensure_ascii=False) if kept else None)
    return pd.Series(values, index=df.index, dtype=object)


def _location_of(
    feature: object, *, row: int, file: str, issues: IssueCollector, seen: set[str]
) -> dict[str, Any] | None:
    if not isinstance(feature, dict):
        issues.error("malformed_json", "A feature is not a JSON object.", file=file, row=row)
        return None
    location_id = feature.get("id")
    if location_id in (None, ""):
        issues.error(
            "missing_required_field", "A feature has no id.", file=file, row=row, field="id"
        )
        return None
    location_id = str(location_id)
    if location_id in seen:
        issues.error(
            "duplicate_key",
            f"The location id {location_id!r} appears twice.",
            file=file,
            row=row,
            field="id",
        )
        return None
    seen.add(location_id)
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        issues.error(
            "unsupported_geometry_type",
            f"Location {location_id!r} has geometry type {kind!r}; Polygon or MultiPolygon "
            "is required.",
            file=file,
            row=row,
            field="geometry",
        )
        return None
    if not isinstance(geometry, dict):  # unreachable (kind is set only for a dict); for mypy
        return None
    points: list[tuple[float, float]] = []
    try:
        polygons = geometry["coordinates"] if kind == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for ring in polygon:
                for point in ring:
                    points.append((float(point[0]), float(point[1])))
    except (KeyError, TypeError, ValueError, IndexError):
        issues.error(
            "malformed_json",
            f"Location {location_id!r} has malformed coordinates.",
            file=file,
            row=row,
            field="geometry",
        )
        return None
    if not points:
        issues.error(
            "malformed_json", f"Location {location_id!r} has no points.", file=file, row=row
        )
        return None
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    if min(lats) < -90 or max(lats) > 90 or min(lons) < -180 or max(lons) > 180:
        issues.error(
            "number_out_of_range",
            f"Location {location_id!r} has coordinates outside the globe (GeoJSON is [lon, lat]).",
            file=file,
            row=row,
            field="geometry",
        )
        return None
    found = feature.get("properties")
    properties: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "location_id": location_id,
        "geometry_type": kind,
        "geometry": geometry,
        "properties": properties,
        "stop_name": str(properties.get("stop_name", "") or ""),
        "min_lat": min(lats),
        "min_lon": min(lons),
        "max_lat": max(lats),
        "max_lon": max(lons),
    }


#: A stop this far from the feed's median point, which swapped back lies within
#: _SWAPPED_NEAR_M of it, has its latitude and longitude swapped (e.g. Milan's 9.19,45.46).
_SWAPPED_FAR_M = 500_000.0
_SWAPPED_NEAR_M = 100_000.0
_MIN_STOPS_FOR_CLUSTER = 5


def _swapped_within_range(lat: pd.Series, lon: pd.Series, out_of_range: pd.Series) -> pd.Series:
    """Rows whose coordinates are valid numbers but swapped: far from where the feed's other
    stops are, and right among them once swapped back."""
    ok = lat.notna() & lon.notna() & ~out_of_range
    result = pd.Series(False, index=lat.index)
    if ok.sum() < _MIN_STOPS_FOR_CLUSTER:
        return result
    centre_lat, centre_lon = float(lat[ok].median()), float(lon[ok].median())

    def metres(a_lat: pd.Series, a_lon: pd.Series) -> pd.Series:
        p1, p2 = np.radians(a_lat), math.radians(centre_lat)
        dp, dl = p2 - p1, math.radians(centre_lon) - np.radians(a_lon)
        h = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
        return 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))

    as_is = metres(lat.where(ok), lon.where(ok))
    swapped_back = metres(lon.where(ok & (lon.abs() <= 90)), lat.where(ok))
    result[ok] = ((as_is > _SWAPPED_FAR_M) & (swapped_back < _SWAPPED_NEAR_M))[ok].fillna(False)
    return result.astype(bool)
