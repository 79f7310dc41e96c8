"""`python manage.py load_demo`: load the demo set from fixtures/demo (idempotent).

`make run` calls this so a newcomer meets a living network. Running it again changes
nothing that is already there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operators.gbfs.demo import gbfs_demo_load
from operators.gtfs.demo import gtfs_demo_load
from operators.models import FeedKind, Operator, SnapshotStatus
from operators.network import network_snapshot_build
from operators.services import operator_create
from operators.tourism.demo import tourism_demo_load

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"


class Command(BaseCommand):
    help = "Load the demo operators and feeds from fixtures/demo (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = 0
        for entry in json.loads((DEMO_DIR / "operators.json").read_text(encoding="utf-8")):
            if not Operator.objects.filter(slug=entry["slug"]).exists():
                operator_create(**entry)
                created += 1
        total = Operator.objects.count()
        self.stdout.write(f"demo: {created} operators created, {total} in all")
        # The public-domain Yamanashi buses (imported once; skipped while one is active).
        self.stdout.write(
            gtfs_demo_load(operator_slug="yamanashi-bus", path=DEMO_DIR / "yamanashi_gtfs.zip")
        )
        # The demo on-demand zone north of Kofu Station (GTFS-Flex, project-written).
        self.stdout.write(
            gtfs_demo_load(
                operator_slug="kofu-ondemand",
                path=DEMO_DIR / "kofu-ondemand",
                kind=FeedKind.GTFS_FLEX,
            )
        )
        # The demo bike share (pushed files, no network needed) and tourist attractions.
        self.stdout.write(
            gbfs_demo_load(operator_slug="kofu-cycle", folder=DEMO_DIR / "kofu-cycle")
        )
        self.stdout.write(
            tourism_demo_load(operator_slug="fuji-tourism", folder=DEMO_DIR / "fuji-tourism")
        )
        # A plannable network (skipped when the newest snapshot has these feed versions).
        snapshot = network_snapshot_build()
        if snapshot.status != SnapshotStatus.READY:
            raise CommandError(f"demo network snapshot failed: {snapshot.error}")
        dates = snapshot.meta.get("dates", [])
        self.stdout.write(
            f"demo: network snapshot {snapshot.version} covers "
            f"{dates[0] if dates else '?'}..{dates[-1] if dates else '?'}"
        )
