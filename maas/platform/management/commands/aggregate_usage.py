"""`python manage.py aggregate_usage [--from YYYY-MM-DD] [--to YYYY-MM-DD]`: recompute the
statistics aggregates now (default: yesterday and today, local time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from maas.platform.aggregates import aggregates_compute


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Compute the statistics aggregates for a range of local days (default: yesterday, today)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", type=str, default=None)
        parser.add_argument("--to", dest="date_to", type=str, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        date_to = _date(options["date_to"]) if options["date_to"] else today
        date_from = (
            _date(options["date_from"])
            if options["date_from"]
            else min(today - dt.timedelta(days=1), date_to)
        )
        if date_to < date_from:
            raise CommandError("--to is before --from")
        counts = aggregates_compute(date_from=date_from, date_to=date_to)
        self.stdout.write(
            f"aggregated {date_from}..{date_to}: ridership {counts.ridership} rows, "
            f"od {counts.od}, bikeshare {counts.bikeshare}, ondemand {counts.ondemand}"
        )
