"""The importer of each feed kind. An importer validates (collecting every issue) and then
loads the rows of one FeedVersion; `operators.services.feed_version_import` runs the
state machine around it."""

from __future__ import annotations

from typing import Protocol

from operators.models import FeedKind, FeedVersion
from operators.validation import IssueCollector


class FeedImporter(Protocol):
    def validate(self, *, feed_version: FeedVersion, issues: IssueCollector) -> object | None:
        """Read and check the source; return what `load` needs, or None when it can't go
        on. Every problem goes into `issues`; errors there fail the version."""

    def load(
        self, *, feed_version: FeedVersion, parsed: object, issues: IssueCollector
    ) -> dict[str, int]:
        """Write the rows of `feed_version` (inside the caller's transaction) and return
        the row count per table. Must not touch rows of any other version."""

    def purge(self, *, feed_version: FeedVersion) -> None:
        """Delete the imported rows of a superseded version (retention)."""


# One entry per kind; each feed-kind package adds its importer here.
IMPORTERS: dict[str, FeedImporter] = {}

from operators.gtfs.importer import GTFS_FLEX_IMPORTER, GTFS_IMPORTER  # noqa: E402

IMPORTERS[FeedKind.GTFS] = GTFS_IMPORTER
IMPORTERS[FeedKind.GTFS_FLEX] = GTFS_FLEX_IMPORTER


def importer_get(*, kind: str) -> FeedImporter:
    """The importer for `kind`; raises KeyError for a kind without one."""
    if kind not in FeedKind.values:
        raise KeyError(kind)
    return IMPORTERS[kind]
