"""The tourism importer: reads the zip described in docs/feeds.md ("Tourism feed
format"), collects every problem with file/row/field, and loads the rows of one version.

attractions.csv (or attractions.geojson)  attraction_id, name_ja, name_en, lat, lon,
                                          category, url
opening_hours.csv                         attraction_id, day, opens, closes
products.csv                              product_id, attraction_id, name_ja, name_en,
                                          rider_category, price, currency,
                                          partner_operator
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings

from operators.models import FeedVersion, Operator
from operators.tourism.models import Attraction, TicketProduct
from operators.validation import FeedRejected, IssueCollector

FILES = ("attractions.csv", "attractions.geojson", "opening_hours.csv", "products.csv")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")
RIDER_CATEGORIES = ("adult", "child", "senior", "student", "any")
# "7:30" and "07:30" are valid; 24:00 closes at midnight; later closings (25:30) are for
# places open past midnight.
TIME_RE = re.compile(r"^(\d{1,2}):([0-5]\d)$")
# Rows per INSERT (SQLite's variable limit; a few statements on PostgreSQL).
BULK_BATCH_SIZE = 500

REQUIRED_COLUMNS = {
    "attractions.csv": ("attraction_id", "name_ja", "lat", "lon"),
    "opening_hours.csv": ("attraction_id", "day", "opens", "closes"),
    "products.csv": ("product_id", "attraction_id", "name_ja", "price"),
}


@dataclass
class ParsedTourism:
    attractions: list[dict[str, Any]] = field(default_factory=list)
    hours: dict[str, dict[str, list[list[str]]]] = field(default_factory=dict)
    hours_rows: int = 0
    products: list[dict[str, Any]] = field(default_factory=list)


class TourismImporter:
    def validate(self, *, feed_version: FeedVersion, issues: IssueCollector) -> object | None:
        """Read the zip and check every file, collecting every problem."""
        texts = _read_zip(feed_version, issues)
        parsed = ParsedTourism()
        if "attractions.csv" in texts:
            parsed.attractions = _attractions_from_csv(texts["attractions.csv"], issues)
        elif "attractions.geojson" in texts:
            parsed.attractions = _attractions_from_geojson(texts["attractions.geojson"], issues)
        else:
            issues.error(
                "missing_required_file",
                "attractions.csv (or attractions.geojson) is required.",
                file="attractions.csv",
            )
            return None
        known = {a["attraction_id"] for a in parsed.attractions}
        if "opening_hours.csv" in texts:
            _opening_hours(texts["opening_hours.csv"], known, parsed, issues)
        if "products.csv" in texts:
            parsed.products = _products(texts["products.csv"], known, issues)
        return parsed

    def load(
        self, *, feed_version: FeedVersion, parsed: object, issues: IssueCollector
    ) -> dict[str, int]:
        """Insert the attractions and products of this version."""
        assert isinstance(parsed, ParsedTourism)  # noqa: S101 - validate returned it
        attractions = Attraction.objects.bulk_create(
            [
                Attraction(
                    feed_version=feed_version,
                    operator_id=feed_version.operator_id,
                    opening_hours=parsed.hours.get(a["attraction_id"], {}),
                    **a,
                )
                for a in parsed.attractions
            ],
            batch_size=BULK_BATCH_SIZE,
        )
        by_id = {a.attraction_id: a for a in attractions}
        slugs = {p["partner_operator_slug"] for p in parsed.products} - {""}
        partners = dict(Operator.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        for row, product in enumerate(parsed.products, start=1):
            slug = product["partner_operator_slug"]
            if slug and slug not in partners:
                issues.warning(
                    "unknown_partner_operator",
                    f"No operator {slug!r} here; the name is kept as written.",
                    file="products.csv",
                    row=product.pop("_row", row),
                    field="partner_operator",
                )
            product.pop("_row", None)
        TicketProduct.objects.bulk_create(
            [
                TicketProduct(
                    feed_version=feed_version,
                    attraction=by_id[p.pop("attraction_id")],
                    partner_operator_id=partners.get(p["partner_operator_slug"]),
                    **p,
                )
                for p in parsed.products
            ],
            batch_size=BULK_BATCH_SIZE,
        )
        return {
            "attractions": len(attractions),
            "opening_hours": parsed.hours_rows,
            "ticket_products": len(parsed.products),
        }

    def purge(self, *, feed_version: FeedVersion) -> None:
        Attraction.objects.filter(feed_version=feed_version).delete()


# ---------------------------------------------------------------------- reading


def _read_zip(feed_version: FeedVersion, issues: IssueCollector) -> dict[str, str]:
    with feed_version.source_file.open("rb") as fh:
        if not zipfile.is_zipfile(fh):
            issues.error("not_a_zip", "The upload is not a zip file.")
            raise FeedRejected()
        fh.seek(0)
        texts: dict[str, str] = {}
        with zipfile.ZipFile(fh) as bundle:
            members = [i for i in bundle.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in members)
            # The same zip-bomb limits as GTFS (settings FEED_ZIP_MAX_*).
            if (
                total > settings.FEED_ZIP_MAX_UNCOMPRESSED_BYTES
                or len(members) > settings.FEED_ZIP_MAX_MEMBERS
            ) or any(
                i.compress_size and i.file_size / i.compress_size > settings.FEED_ZIP_MAX_RATIO
                for i in members
                if i.file_size > 1024 * 1024
            ):
                issues.error(
                    "zip_bomb",
                    f"The zip inflates to {total} bytes (or more than "
                    f"{settings.FEED_ZIP_MAX_RATIO}x, or has more than "
                    f"{settings.FEED_ZIP_MAX_MEMBERS} files); refused.",
                )
                raise FeedRejected()
            for info in members:
                path = PurePosixPath(info.filename)
                if path.is_absolute() or ".." in path.parts:
                    issues.error(
                        "unsafe_path_in_zip",
                        f"{info.filename!r} is an absolute or parent-relative path.",
                        file=info.filename,
                    )
                    raise FeedRejected()
                if path.name not in FILES or path.name.startswith("."):
                    continue
                if len(path.parts) > 1:
                    issues.warning(
                        "file_in_subfolder",
                        f"{info.filename} is inside a folder; read as {path.name}.",
                        file=path.name,
                    )
                if path.name in texts:
                    issues.error(
                        "duplicate_file", f"{path.name} appears twice.", file=info.filename
                    )
                    continue
                text = _decode(bundle.read(info), path.name, issues)
                if text is not None:
                    texts[path.name] = text
    return texts


def _decode(raw: bytes, name: str, issues: IssueCollector) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp932")
    except UnicodeDecodeError:
        issues.error("undecodable_text", "Neither UTF-8 nor Shift_JIS (CP932).", file=name)
        return None
    issues.warning("non_utf8_encoding", "Decoded as Shift_JIS (CP932); use UTF-8.", file=name)
    return text


def _csv_rows(text: str, name: str, issues: IssueCollector) -> list[dict[str, str]] | None:
    """The data rows of a CSV (header names trimmed), or None when a required column is
    missing or the file is empty."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        issues.error("empty_file", "The file is empty.", file=name)
        return None
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in header]
    for column in missing:
        issues.error(
            "missing_required_column", f"Column {column} is required.", file=name, field=column
        )
    if missing:
        return None
    rows = [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]
    if not rows:
        # No attractions is an error; no opening hours or no products is a feed that simply
        # has none yet (a warning, like an empty optional GTFS file).
        if name == "attractions.csv":
            issues.error("empty_file", "The file has a header but no rows.", file=name)
        else:
            issues.warning("empty_file", "The file has a header but no rows.", file=name)
    return rows


def _required(row: dict[str, str], column: str, name: str, n: int, issues: IssueCollector) -> str:
    value = row.get(column, "")
    if not value:
        issues.error(
            "missing_required_field", f"{column} is required.", file=name, row=n, field=column
        )
    return value


def _coordinates(
    lat_text: str, lon_text: str, name: str, n: int, issues: IssueCollector
) -> tuple[float, float] | None:
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        bad = "lat" if not _is_float(lat_text) else "lon"
        issues.error(
            "invalid_float", f"{bad} must be a decimal number.", file=name, row=n, field=bad
        )
        return None
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        hint = " (lat and lon swapped?)" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        issues.error(
            "number_out_of_range",
            f"({lat}, {lon}) is out of range: lat -90..90, lon -180..180{hint}.",
            file=name,
            row=n,
            field="lat" if not -90 <= lat <= 90 else "lon",
        )
        return None
    return lat, lon


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _attraction(
    props: dict[str, str],
    lat_lon: tuple[float, float] | None,
    name: str,
    n: int,
    seen: set[str],
    issues: IssueCollector,
) -> dict[str, Any] | None:
    before = len(issues.errors)
    attraction_id = _required(props, "attraction_id", name, n, issues)
    name_ja = _required(props, "name_ja", name, n, issues)
    if attraction_id and attraction_id in seen:
        issues.error(
            "duplicate_key",
            f"attraction_id {attraction_id!r} appears twice.",
            file=name,
            row=n,
            field="attraction_id",
        )
    if len(issues.errors) > before or lat_lon is None:
        return None
    seen.add(attraction_id)
    return {
        "attraction_id": attraction_id[:255],
        "name_ja": name_ja[:255],
        "name_en": props.get("name_en", "")[:255],
        "lat": lat_lon[0],
        "lon": lat_lon[1],
        "category": props.get("category", "")[:64],
        "url": props.get("url", "")[:500],
    }


def _attractions_from_csv(text: str, issues: IssueCollector) -> list[dict[str, Any]]:
    name = "attractions.csv"
    rows = _csv_rows(text, name, issues) or []
    seen: set[str] = set()
    result = []
    for n, row in enumerate(rows, start=1):
        lat_text = _required(row, "lat", name, n, issues)
        lon_text = _required(row, "lon", name, n, issues)
        lat_lon = (
            _coordinates(lat_text, lon_text, name, n, issues) if lat_text and lon_text else None
        )
        attraction = _attraction(row, lat_lon, name, n, seen, issues)
        if attraction is not None:
            result.append(attraction)
    return result


def _attractions_from_geojson(text: str, issues: IssueCollector) -> list[dict[str, Any]]:
    name = "attractions.geojson"
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        issues.error("malformed_json", f"Not valid JSON: {exc.msg}.", file=name)
        return []
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        issues.error(
            "invalid_geojson", "Expected a FeatureCollection.", file=name, field="features"
        )
        return []
    seen: set[str] = set()
    result = []
    for n, feature in enumerate(features, start=1):
        feature = feature if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") or {}
        if not isinstance(geometry, dict):
            geometry = {}  # reported below as invalid_geometry
        raw_props = feature.get("properties") or {}
        if not isinstance(raw_props, dict):
            issues.error(
                "invalid_geojson",
                "A feature's properties must be an object of attraction fields.",
                file=name,
                row=n,
                field="properties",
            )
            raw_props = {}
        props = {k: str(v) for k, v in raw_props.items() if v is not None}
        props.setdefault("attraction_id", str(feature.get("id") or ""))
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        lat_lon = None
        if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            issues.error(
                "invalid_geometry",
                "Each attraction needs a Point geometry [lon, lat].",
                file=name,
                row=n,
                field="geometry",
            )
        else:
            lat_lon = _coordinates(str(coords[1]), str(coords[0]), name, n, issues)
        attraction = _attraction(props, lat_lon, name, n, seen, issues)
        if attraction is not None:
            result.append(attraction)
    return result


def _minutes(text: str) -> int | None:
    match = TIME_RE.match(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 47:
        return None
    return hours * 60 + minutes


def _opening_hours(
    text: str, known: set[str], parsed: ParsedTourism, issues: IssueCollector
) -> None:
    name = "opening_hours.csv"
    for n, row in enumerate(_csv_rows(text, name, issues) or [], start=1):
        before = len(issues.errors)
        attraction_id = _required(row, "attraction_id", name, n, issues)
        day = _required(row, "day", name, n, issues).lower()
        if attraction_id and attraction_id not in known:
            issues.error(
                "foreign_key_violation",
                f"attraction_id {attraction_id!r} is not in the attractions file.",
                file=name,
                row=n,
                field="attraction_id",
            )
        if day and day not in DAYS:
            issues.error(
                "invalid_day",
                f"day must be one of {', '.join(DAYS)}; got {day!r}.",
                file=name,
                row=n,
                field="day",
            )
        times = {}
        for column in ("opens", "closes"):
            value = _required(row, column, name, n, issues)
            minutes = _minutes(value) if value else None
            if value and minutes is None:
                issues.error(
                    "invalid_time",
                    f"{column} {value!r} is not a time H:MM or HH:MM.",
                    file=name,
                    row=n,
                    field=column,
                )
            times[column] = minutes
        opens, closes = times["opens"], times["closes"]
        if opens is not None and closes is not None and closes <= opens:
            issues.error(
                "invalid_time",
                f"closes ({row['closes']}) must be after opens ({row['opens']}).",
                file=name,
                row=n,
                field="closes",
            )
        if len(issues.errors) > before or opens is None or closes is None:
            continue
        slots = parsed.hours.setdefault(attraction_id, {}).setdefault(day, [])
        slots.append(
            [f"{opens // 60:02d}:{opens % 60:02d}", f"{closes // 60:02d}:{closes % 60:02d}"]
        )
        slots.sort()
        parsed.hours_rows += 1


def _products(text: str, known: set[str], issues: IssueCollector) -> list[dict[str, Any]]:
    name = "products.csv"
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, row in enumerate(_csv_rows(text, name, issues) or [], start=1):
        before = len(issues.errors)
        product_id = _required(row, "product_id", name, n, issues)
        attraction_id = _required(row, "attraction_id", name, n, issues)
        name_ja = _required(row, "name_ja", name, n, issues)
        price_text = _required(row, "price", name, n, issues)
        if product_id and product_id in seen:
            issues.error(
                "duplicate_key",
                f"product_id {product_id!r} appears twice.",
                file=name,
                row=n,
                field="product_id",
            )
        if attraction_id and attraction_id not in known:
            issues.error(
                "foreign_key_violation",
                f"attraction_id {attraction_id!r} is not in the attractions file.",
                file=name,
                row=n,
                field="attraction_id",
            )
        price = None
        if price_text:
            if not re.fullmatch(r"-?\d+", price_text):
                issues.error(
                    "invalid_integer",
                    f"price must be an integer in minor units (JPY: yen), not {price_text!r}.",
                    file=name,
                    row=n,
                    field="price",
                )
            elif int(price_text) < 0:
                issues.error(
                    "number_out_of_range",
                    f"price must not be negative ({price_text}).",
                    file=name,
                    row=n,
                    field="price",
                )
            else:
                price = int(price_text)
        currency = (row.get("currency") or "JPY").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            issues.error(
                "invalid_currency",
                f"currency must be an ISO 4217 code, not {currency!r}.",
                file=name,
                row=n,
                field="currency",
            )
        rider_category = (row.get("rider_category") or "adult").lower()
        if rider_category not in RIDER_CATEGORIES:
            issues.error(
                "invalid_rider_category",
                f"rider_category must be one of {', '.join(RIDER_CATEGORIES)}.",
                file=name,
                row=n,
                field="rider_category",
            )
        if len(issues.errors) > before or price is None:
            continue
        seen.add(product_id)
        result.append(
            {
                "_row": n,
                "product_id": product_id[:255],
                "attraction_id": attraction_id,
                "name_ja": name_ja[:255],
                "name_en": row.get("name_en", "")[:255],
                "rider_category": rider_category,
                "price_amount": price,
                "currency": currency,
                "partner_operator_slug": row.get("partner_operator", "")[:63],
            }
        )
    return result
