"""`python manage.py export_open_data <dir> [--from YYYY-MM-DD] [--to YYYY-MM-DD]`: write
the open-data Frictionless Data Package (datapackage.json + one CSV per k-anonymous
table) of the aggregates (default: the last 30 days)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maas.platform.stats import open_data_tables
from maas.platform.stats_formats import datapackage_files, datapackage_write


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = "Write the open-data package of the k-anonymous statistics to a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--from", dest="date_from", type=str, default=None)
        parser.add_argument("--to", dest="date_to", type=str, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        date_to = _date(options["date_to"]) if options["date_to"] else timezone.localdate()
        date_from = (
            _date(options["date_from"]) if options["date_from"] else date_to - dt.timedelta(days=29)
        )
        if date_to < date_from:
            raise CommandError("--to is before --from")
        tables = open_data_tables(date_from=date_from, date_to=date_to, k=settings.STATS_K)
        files = datapackage_files(tables, date_from=date_from, date_to=date_to)
        datapackage_write(options["directory"], files)
        self.stdout.write(f"wrote {len(files)} files to {options['directory']}")
