"""The demo GTFS feed of `make run` (fixtures/demo/yamanashi_gtfs.zip, public domain)."""

from __future__ import annotations

from pathlib import Path

from django.core.files import File

from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.services import feed_version_create, feed_version_import


def gtfs_demo_load(*, operator_slug: str, path: Path) -> str:
    """Import `path` for the operator unless it already has an active GTFS version
    (idempotent); returns a line for the command's output."""
    operator = Operator.objects.filter(slug=operator_slug).first()
    if operator is None:
        return f"demo: no operator {operator_slug!r}; GTFS skipped"
    active = FeedVersion.objects.filter(
        operator=operator, kind=FeedKind.GTFS, status=FeedStatus.ACTIVE
    ).first()
    if active is not None:
        return f"demo: {operator_slug} GTFS already active (version {active.pk})"
    with path.open("rb") as fh:
        feed_version = feed_version_create(
            operator=operator,
            kind=FeedKind.GTFS,
            upload=File(fh, name=path.name),
            original_filename=path.name,
            enqueue=False,
        )
    feed_version = feed_version_import(feed_version_id=feed_version.pk)
    return f"demo: {operator_slug} GTFS version {feed_version.pk} {feed_version.status}"
