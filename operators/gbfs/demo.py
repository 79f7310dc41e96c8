"""The demo bike-share system (fixtures/demo/kofu-cycle): loaded as pushed files, since a
demo machine may have no network."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.files.base import ContentFile

from operators.gbfs.bundle import gbfs_bundle_from_path
from operators.gbfs.models import GbfsSystem
from operators.gbfs.services import gbfs_push
from operators.models import FeedKind, FeedStatus, Operator
from operators.services import feed_version_create, feed_version_import


def _status_now(folder: Path) -> bytes:
    # The demo availability is "live": stamped with the load time, not the file's time.
    body = json.loads((folder / "station_status.json").read_text(encoding="utf-8"))
    now = int(time.time())
    body["last_updated"] = now
    for station in body["data"]["stations"]:
        station["last_reported"] = now
    return json.dumps(body, ensure_ascii=False).encode()


def gbfs_demo_load(*, operator_slug: str, folder: Path) -> str:
    """Register the demo system once; on later runs only push a fresh station_status.
    Returns a line for the command's output."""
    operator = Operator.objects.get(slug=operator_slug)
    if GbfsSystem.objects.filter(
        operator=operator, feed_version__status=FeedStatus.ACTIVE
    ).exists():
        gbfs_push(operator=operator, body=_status_now(folder), file_name="station_status")
        return f"demo: {operator_slug} bike share present; availability refreshed"
    feed_version = feed_version_create(
        operator=operator,
        kind=FeedKind.GBFS,
        upload=ContentFile(gbfs_bundle_from_path(folder), name="gbfs.zip"),
        original_filename=f"{folder.name}.zip",
        enqueue=False,
    )
    feed_version = feed_version_import(feed_version_id=feed_version.pk)
    if feed_version.status == FeedStatus.ACTIVE:
        gbfs_push(operator=operator, body=_status_now(folder), file_name="station_status")
    return f"demo: {operator_slug} bike share {feed_version.status} {feed_version.counts}"
