"""The FeedImporter of GTFS (incl. GTFS-JP) and GTFS-Flex (same code, Flex files
required)."""

from __future__ import annotations

from operators.gtfs.loader import feed_load, feed_purge
from operators.gtfs.reader import archive_open
from operators.gtfs.validator import FeedValidator, ParsedFeed
from operators.models import FeedVersion
from operators.validation import FeedRejected, IssueCollector


class GtfsImporter:
    def __init__(self, *, flex: bool) -> None:
        self.flex = flex

    def validate(self, *, feed_version: FeedVersion, issues: IssueCollector) -> ParsedFeed | None:
        """Read the zip and check every file; the parsed tables, or None."""
        if not feed_version.source_file:
            issues.error("missing_file", "The version has no uploaded file.")
            raise FeedRejected()
        with feed_version.source_file.open("rb") as fh:
            archive = archive_open(fh, issues=issues)
        return FeedValidator(archive=archive, issues=issues, flex=self.flex).run()

    def load(
        self, *, feed_version: FeedVersion, parsed: object, issues: IssueCollector
    ) -> dict[str, int]:
        """COPY (or bulk insert) every table under `feed_version`."""
        if not isinstance(parsed, ParsedFeed):
            raise TypeError(f"expected ParsedFeed, got {type(parsed).__name__}")
        return feed_load(feed_version=feed_version, parsed=parsed)

    def purge(self, *, feed_version: FeedVersion) -> None:
        """Delete the imported rows of `feed_version`."""
        feed_purge(feed_version=feed_version)


GTFS_IMPORTER = GtfsImporter(flex=False)
GTFS_FLEX_IMPORTER = GtfsImporter(flex=True)
