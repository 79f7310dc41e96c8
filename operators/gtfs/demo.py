"""The demo GTFS feeds of `make run`: fixtures/demo/yamanashi_gtfs.zip (public domain) and
the project-written GTFS-Flex on-demand zone fixtures/demo/kofu-ondemand/ (a folder,
zipped on the fly)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.core.files import File

from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.services import feed_version_create, feed_version_import


def gtfs_demo_load(*, operator_slug: str, path: Path, kind: str = FeedKind.GTFS) -> str:
    """Import `path` (a zip, or a folder of feed files) for the operator unless it already
    has an active version of `kind` (idempotent); returns a line for the command's output."""
    operator = Operator.objects.filter(slug=operator_slug).first()
    if operator is None:
        return f"demo: no operator {operator_slug!r}; {kind} skipped"
    active = FeedVersion.objects.filter(
        operator=operator, kind=kind, status=FeedStatus.ACTIVE
    ).first()
    if active is not None:
        return f"demo: {operator_slug} {kind} already active (version {active.pk})"
    if path.is_dir():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for member in sorted(path.iterdir()):
                bundle.write(member, member.name)
        buffer.seek(0)
        zip_name = f"{path.name}.zip"
        upload = File(buffer, name=zip_name)
        feed_version = feed_version_create(
            operator=operator,
            kind=kind,
            upload=upload,
            original_filename=zip_name,
            enqueue=False,
        )
    else:
        with path.open("rb") as fh:
            feed_version = feed_version_create(
                operator=operator,
                kind=kind,
                upload=File(fh, name=path.name),
                original_filename=path.name,
                enqueue=False,
            )
    feed_version = feed_version_import(feed_version_id=feed_version.pk)
    return f"demo: {operator_slug} {kind} version {feed_version.pk} {feed_version.status}"
