"""Reading GBFS files (v1.0, v2.x and v3.0) into plain records, collecting every problem.

Pure functions, no database: the importer, the poller and the push endpoint all use
them, so a file is judged the same way whichever way it arrived. Version differences
handled here: v3 localized strings (`[{"text", "language"}]`), ISO 8601 `last_updated`
(v2: POSIX seconds), `num_vehicles_available` (v2: `num_bikes_available`),
`vehicle_status`/`vehicles` (v2: `free_bike_status`/`bikes`), 0/1 booleans (v1.0).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from operators.validation import IssueCollector

# The files we read, in the order they are applied (types before the things using them).
FILE_ORDER = (
    "gbfs",
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "free_bike_status",
    "vehicle_status",
    "geofencing_zones",
    "system_pricing_plans",
)
KNOWN_FILES = frozenset(FILE_ORDER)
# Standard files we accept without reading (no warning for them).
IGNORED_FILES = frozenset(
    {
        "gbfs_versions",
        "manifest",
        "system_hours",
        "system_calendar",
        "system_regions",
        "system_alerts",
        "system_information_localized",
    }
)
PREFERRED_LANGUAGES = ("ja", "en")
# ISO 4217 minor-unit exponents that are not 2 (the default).
CURRENCY_EXPONENT = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "KWD": 3, "BHD": 3}


@dataclass
class ParsedFile:
    name: str
    ttl_s: int
    last_updated: dt.datetime | None
    version: str
    data: dict[str, Any]
    # Normalised records of the file (stations, statuses, vehicles, ...).
    records: list[dict[str, Any]] = field(default_factory=list)


def file_label(name: str) -> str:
    return f"{name}.json"


def decode_json(raw: bytes, *, name: str, issues: IssueCollector) -> Any | None:
    """Bytes -> JSON value, or None with an issue (BOM tolerated)."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        issues.error("undecodable_text", f"Not UTF-8: {exc.reason}.", file=file_label(name))
    except json.JSONDecodeError as exc:
        issues.error(
            "malformed_json",
            f"Not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            file=file_label(name),
        )
    return None


def file_name_infer(payload: Any) -> str | None:
    """Which GBFS file `payload` is, from the shape of its `data` (for pushes that don't
    say); None when it is not recognisable."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        return None
    data = payload["data"]
    if "feeds" in data or any(isinstance(v, dict) and "feeds" in v for v in data.values()):
        return "gbfs"
    if "system_id" in data:
        return "system_information"
    if "stations" in data and isinstance(data["stations"], list):
        first = data["stations"][0] if data["stations"] else {}
        if isinstance(first, dict) and ("lat" in first or "name" in first):
            return "station_information"
        return "station_status"
    for key, name in (
        ("bikes", "free_bike_status"),
        ("vehicles", "vehicle_status"),
        ("vehicle_types", "vehicle_types"),
        ("geofencing_zones", "geofencing_zones"),
        ("plans", "system_pricing_plans"),
    ):
        if key in data:
            return name
    return None


def timestamp_parse(value: Any) -> dt.datetime | None:
    """POSIX seconds (v1/v2) or ISO 8601 (v3) -> aware UTC datetime; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        if value.isdigit():
            return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return None
        return parsed.astimezone(dt.UTC)
    return None


def localized(value: Any) -> tuple[str, dict[str, str]]:
    """A v3 localized string list or a plain v2 string -> (text to show, {lang: text})."""
    if isinstance(value, str):
        return value, {}
    if isinstance(value, list):
        names = {
            str(item.get("language", "")): str(item.get("text", ""))
            for item in value
            if isinstance(item, dict) and item.get("text") is not None
        }
        for lang in PREFERRED_LANGUAGES:
            if names.get(lang):
                return names[lang], names
        return (next(iter(names.values()), ""), names)
    return "", {}


def price_to_minor(value: Any, currency: str) -> int | None:
    """A GBFS price (float, or string in v1) -> integer minor units; None if unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    exponent = CURRENCY_EXPONENT.get(currency.upper(), 2)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        return None
    return int(minor)


class _Rows:
    """Helpers that read one record's fields and report problems with file/row/field."""

    def __init__(self, name: str, issues: IssueCollector) -> None:
        self.file = file_label(name)
        self.issues = issues
        self.ok = True

    def error(self, code: str, message: str, row: int | None, field: str | None) -> None:
        self.issues.error(code, message, file=self.file, row=row, field=field)
        self.ok = False

    def warning(self, code: str, message: str, row: int | None, field: str | None) -> None:
        self.issues.warning(code, message, file=self.file, row=row, field=field)

    def string(self, item: dict[str, Any], key: str, row: int | None, required: bool = True) -> str:
        value = item.get(key)
        if value is None or value == "":
            if required:
                self.error("missing_required_field", f"{key} is required.", row, key)
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error("invalid_type", f"{key} must be a string.", row, key)
            return ""
        return value

    def integer(
        self, item: dict[str, Any], key: str, row: int, required: bool = False
    ) -> int | None:
        value = item.get(key)
        if value is None:
            if required:
                self.error("missing_required_field", f"{key} is required.", row, key)
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            self.error("invalid_integer", f"{key} must be an integer, not {value!r}.", row, key)
            return None
        if value < 0:
            self.error("number_out_of_range", f"{key} must not be negative ({value}).", row, key)
            return None
        return int(value)

    def number(
        self, item: dict[str, Any], key: str, row: int, required: bool = False
    ) -> float | None:
        value = item.get(key)
        if value is None:
            if required:
                self.error("missing_required_field", f"{key} is required.", row, key)
            return None
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error("invalid_float", f"{key} must be a number, not {value!r}.", row, key)
            return None
        return float(value)

    def boolean(self, item: dict[str, Any], key: str, row: int, default: bool) -> bool:
        value = item.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if value in (0, 1):  # GBFS 1.0 publishes 0/1
            return bool(value)
        if value in ("true", "false"):
            return value == "true"
        self.error("invalid_boolean", f"{key} must be true or false, not {value!r}.", row, key)
        return default

    def coordinates(self, item: dict[str, Any], row: int, required: bool) -> tuple[Any, Any]:
        lat = self.number(item, "lat", row, required)
        lon = self.number(item, "lon", row, required)
        if lat is None or lon is None:
            return None, None
        if not -90 <= lat <= 90 or not -180 <= lon <= 180:
            self.error(
                "number_out_of_range",
                f"Coordinates ({lat}, {lon}) are out of range (lat -90..90, lon -180..180).",
                row,
                "lat" if not -90 <= lat <= 90 else "lon",
            )
            return None, None
        if lat == 0 and lon == 0:
            self.warning("point_near_origin", "Coordinates are (0, 0).", row, "lat")
        return lat, lon

    def array(self, data: dict[str, Any], key: str) -> list[Any] | None:
        value = data.get(key)
        if not isinstance(value, list):
            self.error("missing_required_field", f"data.{key} must be an array.", None, key)
            return None
        return value


def parse_file(name: str, payload: Any, issues: IssueCollector) -> ParsedFile | None:
    """Check one GBFS file and normalise its records. Returns None when the file as a
    whole is unusable (every problem is in `issues`); row problems skip that row."""
    label = file_label(name)
    if not isinstance(payload, dict):
        issues.error("invalid_file", "The file must be a JSON object.", file=label)
        return None
    data = payload.get("data")
    if not isinstance(data, dict):
        issues.error("missing_required_field", "data must be an object.", file=label, field="data")
        return None
    ttl = payload.get("ttl", 0)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0:
        issues.warning(
            "invalid_ttl",
            f"ttl must be a non-negative integer, not {ttl!r}; 0 used.",
            file=label,
            field="ttl",
        )
        ttl = 0
    last_updated = timestamp_parse(payload.get("last_updated"))
    if payload.get("last_updated") is not None and last_updated is None:
        issues.warning(
            "invalid_timestamp",
            "last_updated is not a timestamp.",
            file=label,
            field="last_updated",
        )
    version = str(payload.get("version") or "1.0")
    parsed = ParsedFile(name, ttl, last_updated, version, data)
    reader = _Rows(name, issues)
    parse_records = _PARSERS.get(name)
    if parse_records is not None:
        result = parse_records(data, reader)
        if result is None:
            return None
        parsed.records = result
    return parsed


def _parse_gbfs(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    # v3: data.feeds; v2: data.<language>.feeds (we take ja, then en, then the first).
    feeds: Any = data.get("feeds")
    if feeds is None:
        by_language = {k: v for k, v in data.items() if isinstance(v, dict) and "feeds" in v}
        chosen = next((lang for lang in PREFERRED_LANGUAGES if lang in by_language), None)
        if chosen is None and by_language:
            chosen = next(iter(by_language))
        feeds = by_language[chosen]["feeds"] if chosen else None
    if not isinstance(feeds, list):
        rows.error(
            "missing_required_field",
            "data.feeds (or data.<lang>.feeds) is required.",
            None,
            "feeds",
        )
        return None
    records = []
    for row, item in enumerate(feeds, start=1):
        if not isinstance(item, dict):
            rows.error("invalid_type", "Each feed must be an object.", row, "feeds")
            continue
        name, url = rows.string(item, "name", row), rows.string(item, "url", row)
        if name and url:
            records.append({"name": name, "url": url})
    return records


def _parse_system_information(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    system_id = rows.string(data, "system_id", None)
    name, names = localized(data.get("name"))
    if not name:
        rows.error("missing_required_field", "name is required.", None, "name")
    if not system_id or not name:
        return None
    language = data.get("language") or ",".join(data.get("languages") or [])
    return [
        {
            "system_id": system_id,
            "name": name,
            "names": names,
            "language": str(language)[:16],
            "timezone": str(data.get("timezone", "")),
        }
    ]


def _parse_station_information(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    stations = rows.array(data, "stations")
    if stations is None:
        return None
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row, item in enumerate(stations, start=1):
        if not isinstance(item, dict):
            rows.error("invalid_type", "Each station must be an object.", row, None)
            continue
        before = rows.issues.errors.__len__()
        station_id = rows.string(item, "station_id", row)
        name, names = localized(item.get("name"))
        if not name:
            rows.error("missing_required_field", "name is required.", row, "name")
        lat, lon = rows.coordinates(item, row, required=True)
        capacity = rows.integer(item, "capacity", row)
        if station_id in seen:
            rows.error(
                "duplicate_key", f"station_id {station_id!r} appears twice.", row, "station_id"
            )
        if len(rows.issues.errors) > before or lat is None:
            continue
        seen.add(station_id)
        address, _ = localized(item.get("address"))
        records.append(
            {
                "station_id": station_id,
                "name": name[:255],
                "names": names,
                "lat": lat,
                "lon": lon,
                "capacity": capacity,
                "address": address[:500],
                "region_id": str(item.get("region_id") or ""),
                "is_virtual_station": bool(item.get("is_virtual_station") is True),
                "rental_uris": item.get("rental_uris")
                if isinstance(item.get("rental_uris"), dict)
                else {},
            }
        )
    return records


def _parse_station_status(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    stations = rows.array(data, "stations")
    if stations is None:
        return None
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row, item in enumerate(stations, start=1):
        if not isinstance(item, dict):
            rows.error("invalid_type", "Each station must be an object.", row, None)
            continue
        before = len(rows.issues.errors)
        station_id = rows.string(item, "station_id", row)
        key = (
            "num_vehicles_available"
            if "num_vehicles_available" in item
            else ("num_bikes_available")
        )
        bikes = rows.integer(item, key, row, required=True)
        docks = rows.integer(item, "num_docks_available", row)
        vta = item.get("vehicle_types_available")
        if vta is not None and not isinstance(vta, list):
            rows.error(
                "invalid_type",
                "vehicle_types_available must be an array.",
                row,
                "vehicle_types_available",
            )
        if station_id in seen:
            rows.error(
                "duplicate_key", f"station_id {station_id!r} appears twice.", row, "station_id"
            )
        installed = rows.boolean(item, "is_installed", row, True)
        renting = rows.boolean(item, "is_renting", row, True)
        returning = rows.boolean(item, "is_returning", row, True)
        if len(rows.issues.errors) > before or bikes is None:
            continue
        seen.add(station_id)
        records.append(
            {
                "row": row,
                "station_id": station_id,
                "num_bikes_available": bikes,
                "num_docks_available": docks,
                "is_installed": installed,
                "is_renting": renting,
                "is_returning": returning,
                "last_reported": timestamp_parse(item.get("last_reported")),
                "vehicle_types_available": vta or [],
            }
        )
    return records


def _parse_vehicles(key: str) -> Any:
    def parse(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
        vehicles = rows.array(data, key)
        if vehicles is None:
            return None
        records: list[dict[str, Any]] = []
        seen: set[str] = set()
        id_key = "vehicle_id" if key == "vehicles" else "bike_id"
        for row, item in enumerate(vehicles, start=1):
            if not isinstance(item, dict):
                rows.error("invalid_type", "Each vehicle must be an object.", row, None)
                continue
            before = len(rows.issues.errors)
            vehicle_id = rows.string(item, id_key, row)
            station_id = str(item.get("station_id") or "")
            lat, lon = rows.coordinates(item, row, required=not station_id)
            if vehicle_id in seen:
                rows.error("duplicate_key", f"{id_key} {vehicle_id!r} appears twice.", row, id_key)
            reserved = rows.boolean(item, "is_reserved", row, False)
            disabled = rows.boolean(item, "is_disabled", row, False)
            if len(rows.issues.errors) > before:
                continue
            seen.add(vehicle_id)
            records.append(
                {
                    "vehicle_id": vehicle_id,
                    "lat": lat,
                    "lon": lon,
                    "station_id": station_id,
                    "vehicle_type_id": str(item.get("vehicle_type_id") or ""),
                    "is_reserved": reserved,
                    "is_disabled": disabled,
                    "current_range_meters": rows.number(item, "current_range_meters", row),
                    "last_reported": timestamp_parse(item.get("last_reported")),
                    "rental_uris": item.get("rental_uris")
                    if isinstance(item.get("rental_uris"), dict)
                    else {},
                }
            )
        return records

    return parse


def _parse_vehicle_types(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    types = rows.array(data, "vehicle_types")
    if types is None:
        return None
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row, item in enumerate(types, start=1):
        if not isinstance(item, dict):
            rows.error("invalid_type", "Each vehicle type must be an object.", row, None)
            continue
        type_id = rows.string(item, "vehicle_type_id", row)
        if type_id in seen:
            rows.error(
                "duplicate_key",
                f"vehicle_type_id {type_id!r} appears twice.",
                row,
                "vehicle_type_id",
            )
            continue
        if not type_id:
            continue
        seen.add(type_id)
        name, _ = localized(item.get("name"))
        records.append(
            {
                "vehicle_type_id": type_id,
                "form_factor": str(item.get("form_factor") or "")[:32],
                "propulsion_type": str(item.get("propulsion_type") or "")[:32],
                "max_range_meters": rows.number(item, "max_range_meters", row),
                "name": name[:255],
                "data": item,
            }
        )
    return records


def _parse_geofencing_zones(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    collection = data.get("geofencing_zones")
    if not isinstance(collection, dict) or not isinstance(collection.get("features"), list):
        rows.error(
            "missing_required_field",
            "data.geofencing_zones must be a GeoJSON FeatureCollection.",
            None,
            "geofencing_zones",
        )
        return None
    records: list[dict[str, Any]] = []
    for row, feature in enumerate(collection["features"], start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        # Real feeds carry zones without geometry (Check Almere): the zone cannot be
        # used, the rest of the file can, so this is a warning and the zone is skipped.
        if geometry is None:
            rows.warning("missing_geometry", "The zone has no geometry; skipped.", row, "geometry")
            continue
        if not isinstance(geometry, dict) or geometry.get("type") not in (
            "Polygon",
            "MultiPolygon",
        ):
            rows.warning(
                "invalid_geometry",
                "A zone needs a Polygon or MultiPolygon geometry; skipped.",
                row,
                "geometry",
            )
            continue
        properties = feature.get("properties") or {}
        name, _ = localized(properties.get("name"))
        rules = properties.get("rules") or []
        records.append(
            {
                "name": name[:255],
                "geometry": geometry,
                "rules": rules if isinstance(rules, list) else [],
                "properties": properties,
            }
        )
    return records


def _parse_pricing_plans(data: dict[str, Any], rows: _Rows) -> list[dict[str, Any]] | None:
    plans = rows.array(data, "plans")
    if plans is None:
        return None
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row, item in enumerate(plans, start=1):
        if not isinstance(item, dict):
            rows.error("invalid_type", "Each plan must be an object.", row, None)
            continue
        plan_id = rows.string(item, "plan_id", row)
        currency = rows.string(item, "currency", row).upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            rows.error(
                "invalid_currency", f"{currency!r} is not an ISO 4217 code.", row, "currency"
            )
            continue
        amount = price_to_minor(item.get("price"), currency or "XXX")
        if amount is None or amount < 0:
            rows.error(
                "invalid_price",
                f"price {item.get('price')!r} is not a non-negative amount in {currency}.",
                row,
                "price",
            )
            continue
        if plan_id in seen:
            rows.error("duplicate_key", f"plan_id {plan_id!r} appears twice.", row, "plan_id")
            continue
        if not plan_id or not currency:
            continue
        seen.add(plan_id)
        name, _ = localized(item.get("name"))
        description, _ = localized(item.get("description"))
        records.append(
            {
                "plan_id": plan_id,
                "name": name[:255],
                "currency": currency,
                "price_amount": amount,
                "is_taxable": item.get("is_taxable") in (True, 1),
                "description": description,
                "data": item,
            }
        )
    return records


_PARSERS: dict[str, Any] = {
    "gbfs": _parse_gbfs,
    "system_information": _parse_system_information,
    "station_information": _parse_station_information,
    "station_status": _parse_station_status,
    "free_bike_status": _parse_vehicles("bikes"),
    "vehicle_status": _parse_vehicles("vehicles"),
    "vehicle_types": _parse_vehicle_types,
    "geofencing_zones": _parse_geofencing_zones,
    "system_pricing_plans": _parse_pricing_plans,
}


@dataclass
class ParsedSystem:
    """Everything the importer read for a new system: the files, and for a polled system
    their URLs and HTTP validators."""

    discovery_url: str = ""
    files: dict[str, ParsedFile] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    validators: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def gbfs_version(self) -> str:
        for name in ("gbfs", "system_information", "station_status", "station_information"):
            if name in self.files and self.files[name].version != "1.0":
                return self.files[name].version
        return "1.0"
