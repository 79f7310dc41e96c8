"""`python manage.py import_feed <operator> <path-or-url> --kind ... [--create-operator]`.

Imports in this process and waits; exit code 0 only when the version became active.
The report (errors and warnings) is printed either way.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from operators.gbfs.bundle import gbfs_bundle_from_path
from operators.models import FeedKind, FeedStatus, Operator
from operators.services import feed_version_create, feed_version_import, operator_create

DOWNLOAD_TIMEOUT_S = 60


class Command(BaseCommand):
    help = "Import a feed for an operator and wait for the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operator", help="operator slug")
        parser.add_argument("source", help="a local file, or an http(s) URL")
        parser.add_argument("--kind", required=True, choices=FeedKind.values)
        parser.add_argument(
            "--create-operator", action="store_true", help="create the operator if missing"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        operator = Operator.objects.filter(slug=options["operator"]).first()
        if operator is None:
            if not options["create_operator"]:
                raise CommandError(
                    f"No operator {options['operator']!r} (add --create-operator to create it)."
                )
            operator = operator_create(slug=options["operator"], name_ja=options["operator"])
        kind: str = options["kind"]
        source: str = options["source"]
        is_url = source.startswith(("http://", "https://"))

        if kind == FeedKind.GBFS and is_url:
            feed_version = feed_version_create(
                operator=operator, kind=kind, source_url=source, enqueue=False
            )
        elif kind == FeedKind.GBFS and Path(source).suffix != ".zip":
            # A folder of GBFS files or a local gbfs.json: bundled as pushed files.
            if not Path(source).exists():
                raise CommandError(f"No such file or folder: {source}")
            feed_version = feed_version_create(
                operator=operator,
                kind=kind,
                upload=ContentFile(gbfs_bundle_from_path(Path(source)), name="gbfs.zip"),
                original_filename=Path(source).name,
                enqueue=False,
            )
        else:
            path = self._local_copy(source) if is_url else Path(source)
            if not path.is_file():
                raise CommandError(f"No such file: {source}")
            with path.open("rb") as fh:
                feed_version = feed_version_create(
                    operator=operator,
                    kind=kind,
                    upload=File(fh, name=path.name),
                    original_filename=path.name,
                    enqueue=False,
                )
        feed_version = feed_version_import(feed_version_id=feed_version.pk)
        result = {
            "id": feed_version.pk,
            "operator": operator.slug,
            "kind": kind,
            "status": feed_version.status,
            "counts": feed_version.counts,
            "report": feed_version.report,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self._print_human(result)
        if feed_version.status != FeedStatus.ACTIVE:
            raise CommandError(f"feed version {feed_version.pk} {feed_version.status}")

    def _local_copy(self, url: str) -> Path:
        limit = settings.FEED_UPLOAD_MAX_BYTES
        target = Path(tempfile.mkdtemp(prefix="feed-")) / (url.rsplit("/", 1)[-1] or "feed.zip")
        size = 0
        try:
            with requests.get(url, stream=True, timeout=DOWNLOAD_TIMEOUT_S) as response:
                response.raise_for_status()
                with target.open("wb") as out:
                    for chunk in response.iter_content(1024 * 1024):
                        size += len(chunk)
                        if size > limit:
                            raise CommandError(f"{url} is larger than {limit} bytes")
                        out.write(chunk)
        except requests.RequestException as exc:
            raise CommandError(f"Could not download {url}: {exc}") from exc
        return target

    def _print_human(self, result: dict[str, Any]) -> None:
        self.stdout.write(
            f"feed version {result['id']} of {result['operator']} ({result['kind']}): "
            f"{result['status']}"
        )
        for table, count in sorted(result["counts"].items()):
            self.stdout.write(f"  {table}: {count}")
        report = result["report"] or {}
        for severity in ("errors", "warnings"):
            items = report.get(severity, [])
            if items:
                self.stdout.write(f"{severity} ({len(items)}):")
            for item in items:
                where = ":".join(
                    str(part)
                    for part in (item.get("file"), item.get("row"), item.get("field"))
                    if part not in (None, "")
                )
                self.stdout.write(f"  [{item['code']}] {where} {item['message']}")
