"""`python manage.py push_usage`: deliver pending outbox events now (API.md "Operations")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maas.platform.delivery import IngestNotConfigured, usage_push


class Command(BaseCommand):
    help = (
        "Deliver pending usage events to PLATFORM_INGEST_URL now. Exit code 1 when a batch "
        "could not be delivered (it stays pending and is retried)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--respect-backoff",
            action="store_true",
            help="skip streams still backing off after a failure (default: try them now)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = usage_push(force=not options["respect_backoff"])
        except IngestNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        for outcome in result.streams:
            line = f"{outcome.stream}: delivered {outcome.delivered} in {outcome.batches} batches"
            if outcome.skipped:
                line += f" (skipped: {outcome.skipped})"
            if outcome.failed:
                line += f" FAILED: {outcome.error}"
            self.stdout.write(line)
        if result.failed:
            raise CommandError("some batches could not be delivered; they stay pending")
