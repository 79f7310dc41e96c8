"""Real feeds imported through the feed pipeline and compiled once per test module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.files import File
from django.test import override_settings

from operators.models import FeedStatus, FeedVersion, NetworkSnapshot, Operator, SnapshotStatus
from operators.network import network_snapshot_build
from operators.services import feed_version_create, feed_version_import, operator_create


def import_feed(slug: str, path: Path, kind: str = "gtfs") -> FeedVersion:
    """Import `path` for operator `slug` (created if missing) and assert it became active."""
    operator = Operator.objects.filter(slug=slug).first() or operator_create(
        slug=slug, name_ja=slug
    )
    with path.open("rb") as fh:
        version = feed_version_create(
            operator=operator, kind=kind, upload=File(fh, name=path.name), enqueue=False
        )
    version = feed_version_import(feed_version_id=version.pk)
    assert version.status == FeedStatus.ACTIVE, version.report
    return version


@contextmanager
def committed_network(
    django_db_blocker: Any,
    snapshot_dir: Path,
    *,
    slug: str,
    path: Path,
    horizon_start: str,
    horizon_days: int,
) -> Iterator[NetworkSnapshot]:
    """One feed imported and compiled, committed for a whole test module (each test still
    runs in its own rolled-back transaction on top), and removed again at the end."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            SNAPSHOT_HORIZON_START=horizon_start,
            SNAPSHOT_HORIZON_DAYS=horizon_days,
            SNAPSHOT_DIR=snapshot_dir,
        ),
    ):
        import_feed(slug, path)
        snapshot = network_snapshot_build()
        assert snapshot.status == SnapshotStatus.READY, snapshot.error
    try:
        yield snapshot
    finally:
        with django_db_blocker.unblock():
            NetworkSnapshot.objects.all().delete()
            Operator.objects.filter(slug=slug).delete()
