"""Write a validated feed into the GTFS tables of its version.

PostgreSQL: one COPY per table (psycopg 3 `cursor.copy`), fed with CSV that pandas writes
in C; elsewhere (SQLite in development and tests) `bulk_create`.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
from django.db import connection, models

from operators.gtfs import models as m
from operators.gtfs.schema import ALL_MODELS, TABLES
from operators.gtfs.validator import ParsedFeed
from operators.models import FeedVersion

# Rows per INSERT of the bulk_create fallback: SQLite caps bound parameters at 32766 and
# the widest table has ~25 columns.
_BULK_BATCH_SIZE = 1000
_NULL = "\\N"


def feed_load(*, feed_version: FeedVersion, parsed: ParsedFeed) -> dict[str, int]:
    """Insert every table of `parsed` under `feed_version` (the caller's transaction);
    returns the row counts per table."""
    for table in TABLES:
        df = parsed.tables.get(table.file)
        if df is not None and not df.empty:
            _insert(table.model, df, feed_version_id=feed_version.pk)
    if parsed.locations:
        locations = pd.DataFrame(parsed.locations)
        for column in ("geometry", "properties"):
            locations[column] = [json.dumps(v, ensure_ascii=False) for v in locations[column]]
        _insert(m.Location, locations, feed_version_id=feed_version.pk)
    FeedVersion.objects.filter(pk=feed_version.pk).update(meta={**feed_version.meta, **parsed.meta})
    return dict(parsed.counts)


def feed_purge(*, feed_version: FeedVersion) -> None:
    """Delete every GTFS row of `feed_version` (one DELETE per table)."""
    for model in ALL_MODELS:
        model._default_manager.filter(feed_version_id=feed_version.pk).delete()


def _with_defaults(model: type[models.Model], df: pd.DataFrame) -> pd.DataFrame:
    """Blank values of NOT NULL columns that have a default take the default."""
    for name in df.columns:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field):
            continue
        if not field.null and field.has_default() and df[name].isna().any():
            df[name] = df[name].fillna(field.get_default())
    return df


def _insert(model: type[models.Model], df: pd.DataFrame, *, feed_version_id: int) -> None:
    df = _with_defaults(model, df.copy())
    if connection.vendor == "postgresql":
        _copy(model, df, feed_version_id=feed_version_id)
    else:
        _bulk_create(model, df, feed_version_id=feed_version_id)


def _copy(model: type[models.Model], df: pd.DataFrame, *, feed_version_id: int) -> None:
    # Writing CSV is most of the cost: leave out nullable columns that are entirely blank
    # (the database fills NULL) and write integer columns without gaps as plain int64.
    for name in list(df.columns):
        series = df[name]
        if not series.isna().all():
            if str(series.dtype) == "Int64" and not series.isna().any():
                df[name] = series.astype("int64")
            continue
        field = model._meta.get_field(name)
        if isinstance(field, models.Field) and field.null:
            df = df.drop(columns=[name])
    columns = [_column_of(model, name) for name in df.columns]
    df["feed_version_id"] = feed_version_id
    columns.append("feed_version_id")
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = (
        f"COPY {connection.ops.quote_name(str(model._meta.db_table))} ({quoted}) "
        f"FROM STDIN WITH (FORMAT csv, NULL '{_NULL}')"
    )
    payload = df.to_csv(index=False, header=False, na_rep=_NULL, lineterminator="\n")
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(sql) as copy:
            copy.write(payload)


def _column_of(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a concrete column")
    return str(field.column)


def _python(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _bulk_create(model: type[models.Model], df: pd.DataFrame, *, feed_version_id: int) -> None:
    json_fields = {
        f.name for f in model._meta.get_fields() if isinstance(f, models.JSONField)
    } & set(df.columns)
    rows = df.astype(object).to_dict("records")
    objs = []
    for row in rows:
        values = {k: _python(v) for k, v in row.items()}
        for name in json_fields:
            if values[name] is not None:
                values[name] = json.loads(values[name])
        objs.append(model(feed_version_id=feed_version_id, **values))
    model._default_manager.bulk_create(objs, batch_size=_BULK_BATCH_SIZE)
