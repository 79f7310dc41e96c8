"""Fare tables straight from a feed zip's CSV files (no database): the engine's tests read
the real feeds this way, and compute expected amounts from the same rows independently."""

from __future__ import annotations

import csv
import io
import zipfile
from functools import lru_cache
from pathlib import Path

from maas.trips.fares.tables import FareTables, fare_tables_build

FILES = {
    "agencies": "agency.txt",
    "routes": "routes.txt",
    "stops": "stops.txt",
    "fare_attributes": "fare_attributes.txt",
    "fare_rules": "fare_rules.txt",
    "rider_categories": "rider_categories.txt",
    "fare_rider_categories": "fare_rider_categories.txt",
    "fare_products": "fare_products.txt",
    "fare_leg_rules": "fare_leg_rules.txt",
    "fare_transfer_rules": "fare_transfer_rules.txt",
    "fare_media": "fare_media.txt",
}


def csv_rows(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        if name not in archive.namelist():
            return []
        text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=8)
def tables_from_zip(path: Path) -> FareTables:
    rows = {key: csv_rows(path, name) for key, name in FILES.items()}
    return fare_tables_build(feed_version_id=0, **rows)
