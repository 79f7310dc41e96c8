"""`python manage.py build_snapshot`: build and activate a network snapshot now."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from operators.models import SnapshotStatus
from operators.network import network_snapshot_build


class Command(BaseCommand):
    help = "Build the routing network snapshot from the active feeds and make it current."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-changed",
            action="store_true",
            help="do nothing when the newest snapshot already has the active feed versions",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        snapshot = network_snapshot_build(force=not options["if_changed"])
        if snapshot.status != SnapshotStatus.READY:
            raise CommandError(f"snapshot {snapshot.version} failed: {snapshot.error}")
        counts = snapshot.meta.get("counts", {})
        self.stdout.write(
            f"snapshot {snapshot.version} ready in {snapshot.meta.get('build_s')} s: "
            + json.dumps(counts)
        )
