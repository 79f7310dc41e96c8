"""Rendering statistics tables as json, csv, geojson and a Frictionless Data Package.
Every rendering states k: a json field, a `# k=<k>` first line in csv, a top-level
geojson property, and a `k` property of every data package resource."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from django.utils import timezone

from maas.platform.mesh import mesh_polygon
from maas.platform.stats import StatsTable

FORMATS = ("json", "csv", "geojson")
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}


class NotSpatialError(ValueError):
    pass


def table_json(table: StatsTable, *, date_from: Any, date_to: Any) -> dict[str, Any]:
    return {
        "k": table.k,
        "table": table.name,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        **table.parameters,
        "total": table.total,
        "fields": [{"name": name, "type": kind} for name, kind in table.fields],
        "rows": table.rows,
    }


def table_csv(table: StatsTable, *, k_comment: bool = True) -> str:
    """CSV with a header row; suppressed cells are empty. With `k_comment` the first line
    is `# k=<k>` (the API); the open-data files go without it (the package states k)."""
    out = io.StringIO()
    if k_comment:
        out.write(f"# k={table.k}\n")
    writer = csv.writer(out, lineterminator="\n")
    names = [name for name, _ in table.fields]
    writer.writerow(names)
    for row in table.rows:
        writer.writerow(["" if row.get(n) is None else _csv_value(row.get(n)) for n in names])
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def table_geojson(table: StatsTable) -> dict[str, Any]:
    """A FeatureCollection: OD cells as the origin cell's Polygon, stations as Points."""
    if table.geometry is None:
        raise NotSpatialError(table.name)
    features = []
    for row in table.rows:
        if table.geometry == "mesh":
            geometry = {"type": "Polygon", "coordinates": [mesh_polygon(row["origin"])]}
        else:
            geometry = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        features.append({"type": "Feature", "geometry": geometry, "properties": row})
    return {
        "type": "FeatureCollection",
        "k": table.k,
        "table": table.name,
        "total": table.total,
        "features": features,
    }


_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def datapackage_descriptor(tables: list[StatsTable], *, date_from: Any, date_to: Any) -> dict:
    """The datapackage.json (Frictionless Data Package v1) describing one CSV per table."""
    k = tables[0].k if tables else None
    return {
        "profile": "tabular-data-package",
        "name": "maas-usage-statistics",
        "title": "MaaS usage statistics (k-anonymous aggregates)",
        "description": (
            f"Aggregated usage of the city's MaaS from {date_from} to {date_to}. Cells "
            f"below k={k} are suppressed (empty), with complementary suppression."
        ),
        "created": timezone.now().isoformat(),
        "licenses": [LICENSE],
        "k": k,
        "temporal": {"start": date_from.isoformat(), "end": date_to.isoformat()},
        "resources": [
            {
                "name": table.name,
                "path": f"{table.name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "k": table.k,
                "licenses": [LICENSE],
                "schema": {
                    "fields": [{"name": name, "type": _TYPES[kind]} for name, kind in table.fields],
                    "missingValues": [""],
                },
            }
            for table in tables
        ],
    }


def datapackage_files(tables: list[StatsTable], *, date_from: Any, date_to: Any) -> dict[str, str]:
    """File name -> text of every file of the package."""
    descriptor = datapackage_descriptor(tables, date_from=date_from, date_to=date_to)
    files = {"datapackage.json": json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"}
    for table in tables:
        files[f"{table.name}.csv"] = table_csv(table, k_comment=False)
    return files


def datapackage_write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")


def datapackage_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
