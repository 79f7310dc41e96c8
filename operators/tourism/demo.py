"""The demo tourism feed (fixtures/demo/fuji-tourism), imported once."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.core.files.base import ContentFile

from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.services import feed_version_create, feed_version_import


def tourism_demo_load(*, operator_slug: str, folder: Path) -> str:
    """Import the folder's files as a tourism feed unless the operator has an active one.
    Returns a line for the command's output."""
    operator = Operator.objects.get(slug=operator_slug)
    if FeedVersion.objects.filter(
        operator=operator, kind=FeedKind.TOURISM, status=FeedStatus.ACTIVE
    ).exists():
        return f"demo: {operator_slug} tourism feed present"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in sorted(folder.iterdir()):
            if file.is_file():
                bundle.write(file, arcname=file.name)
    feed_version = feed_version_create(
        operator=operator,
        kind=FeedKind.TOURISM,
        upload=ContentFile(buffer.getvalue(), name="tourism.zip"),
        original_filename=f"{folder.name}.zip",
        enqueue=False,
    )
    feed_version = feed_version_import(feed_version_id=feed_version.pk)
    return f"demo: {operator_slug} tourism feed {feed_version.status} {feed_version.counts}"
