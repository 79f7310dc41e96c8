"""Write-side operations on operators."""

from __future__ import annotations

import hashlib
import logging
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from operators.importers import IMPORTERS, importer_get
from operators.models import FeedKind, FeedStatus, FeedVersion, Operator
from operators.validation import FeedRejected, IssueCollector

logger = logging.getLogger(__name__)

_UPDATABLE = (
    "name_ja",
    "name_en",
    "modes",
    "time_zone",
    "contact_email",
    "contact_phone",
    "website",
)


@transaction.atomic
def operator_create(
    *,
    slug: str,
    name_ja: str,
    name_en: str = "",
    modes: list[str] | None = None,
    time_zone: str = "Asia/Tokyo",
    contact_email: str = "",
    contact_phone: str = "",
    website: str = "",
) -> Operator:
    """Create an operator after full model validation."""
    operator = Operator(
        slug=slug,
        name_ja=name_ja,
        name_en=name_en,
        modes=modes or [],
        time_zone=time_zone,
        contact_email=contact_email,
        contact_phone=contact_phone,
        website=website,
    )
    operator.full_clean()
    operator.save()
    return operator


@transaction.atomic
def operator_update(*, operator: Operator, data: dict[str, Any]) -> Operator:
    """Update the contact/profile fields of an operator (never its slug)."""
    for field in _UPDATABLE:
        if field in data:
            setattr(operator, field, data[field])
    operator.full_clean()
    operator.save()
    return operator


# ---------------------------------------------------------------------------- feeds


def _sha256_of(fileobj: IO[bytes] | None) -> tuple[str, int]:
    if fileobj is None:
        raise ValidationError({"file": "the upload has no content"})
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


@transaction.atomic
def feed_version_create(
    *,
    operator: Operator,
    kind: str,
    upload: File[bytes] | None = None,
    original_filename: str = "",
    source_url: str = "",
    created_by_id: int | None = None,
    enqueue: bool = True,
) -> FeedVersion:
    """Record a new feed version (queued) with its original file kept, and queue the
    import once the transaction commits (`enqueue=False`: the caller runs
    `feed_version_import` itself, as `manage.py import_feed` does)."""
    if kind not in FeedKind.values:
        raise ValidationError({"kind": f"unknown feed kind {kind!r}"})
    if (upload is None) == (not source_url):
        raise ValidationError({"file": "give either a file or a URL"})
    feed_version = FeedVersion(
        operator=operator,
        kind=kind,
        source_url=source_url,
        original_filename=original_filename[:255],
        created_by_id=created_by_id,
    )
    if upload is not None:
        feed_version.sha256, feed_version.size_bytes = _sha256_of(upload.file)
        feed_version.source_file.save("upload", upload, save=False)
    feed_version.save()
    logger.info(
        "feed version queued",
        extra={"operator": operator.slug, "feed_version": feed_version.pk, "kind": kind},
    )
    feed_version_id = feed_version.pk
    if enqueue:
        transaction.on_commit(lambda: _enqueue_import(feed_version_id))
    return feed_version


def _enqueue_import(feed_version_id: int) -> None:
    from operators.tasks import feed_version_import_task

    feed_version_import_task.delay(feed_version_id)


def _set_status(feed_version: FeedVersion, status: str, **fields: object) -> None:
    feed_version.status = status
    for name, value in fields.items():
        setattr(feed_version, name, value)
    FeedVersion.objects.filter(pk=feed_version.pk).update(status=status, **fields)


def feed_version_import(*, feed_version_id: int) -> FeedVersion:
    """Validate and load a queued version, then activate it. Idempotent: a version that is
    no longer queued is returned as it is (a redelivered task does nothing twice).

    A failure at any point leaves the previously active version serving, untouched: the
    new rows are written in one transaction with the new version's id only.
    """
    with transaction.atomic():
        feed_version = FeedVersion.objects.select_for_update().get(pk=feed_version_id)
        if feed_version.status != FeedStatus.QUEUED:
            return feed_version
        _set_status(feed_version, FeedStatus.VALIDATING, started_at=timezone.now())

    log = {"operator": feed_version.operator.slug, "feed_version": feed_version.pk}
    issues = IssueCollector()
    importer = importer_get(kind=feed_version.kind)
    parsed: object | None = None
    try:
        parsed = importer.validate(feed_version=feed_version, issues=issues)
    except FeedRejected:
        parsed = None
    except Exception:
        logger.exception("feed validation crashed", extra=log)
        issues.error("internal_error", "The validator failed unexpectedly; the team is notified.")
    if parsed is None and not issues.has_errors:
        issues.error("unreadable_feed", "The feed could not be read.")
    if issues.has_errors:
        _set_status(
            feed_version, FeedStatus.FAILED, finished_at=timezone.now(), report=issues.report()
        )
        logger.info("feed version failed validation", extra=log)
        return feed_version

    _set_status(feed_version, FeedStatus.IMPORTING)
    try:
        with transaction.atomic():
            counts = importer.load(feed_version=feed_version, parsed=parsed, issues=issues)
            if issues.has_errors:
                raise FeedRejected()
            _set_status(feed_version, FeedStatus.IMPORTING, counts=counts)
            feed_version_activate(feed_version=feed_version, report=issues.report())
    except FeedRejected:
        _set_status(
            feed_version, FeedStatus.FAILED, finished_at=timezone.now(), report=issues.report()
        )
        return feed_version
    except Exception as exc:
        logger.exception("feed import crashed", extra=log)
        issues.error("import_failed", f"Loading the feed failed: {exc.__class__.__name__}.")
        _set_status(
            feed_version,
            FeedStatus.FAILED,
            finished_at=timezone.now(),
            counts={},
            report=issues.report(),
        )
        return feed_version
    feed_version.refresh_from_db()
    logger.info("feed version active", extra={**log, "counts": feed_version.counts})
    return feed_version


@transaction.atomic
def feed_version_activate(
    *, feed_version: FeedVersion, report: dict[str, object] | None = None
) -> FeedVersion:
    """Make `feed_version` the active one of its operator and kind in one transaction;
    the previously active one becomes superseded. Re-activating an older (superseded)
    version is the rollback. Failed or unfinished versions cannot be activated."""
    locked = FeedVersion.objects.select_for_update().get(pk=feed_version.pk)
    allowed = {FeedStatus.IMPORTING, FeedStatus.SUPERSEDED, FeedStatus.ACTIVE}
    if locked.status not in allowed:
        raise FeedVersionStateError(
            f"version {locked.pk} is {locked.status} and cannot be activated"
        )
    if locked.status == FeedStatus.SUPERSEDED and locked.meta.get("purged"):
        raise FeedVersionStateError(
            f"version {locked.pk} was purged by the retention policy and cannot be re-activated"
        )
    now = timezone.now()
    FeedVersion.objects.filter(
        operator_id=locked.operator_id, kind=locked.kind, status=FeedStatus.ACTIVE
    ).exclude(pk=locked.pk).update(status=FeedStatus.SUPERSEDED)
    fields: dict[str, object] = {"status": FeedStatus.ACTIVE, "activated_at": now}
    if locked.finished_at is None:
        fields["finished_at"] = now
    if report is not None:
        fields["report"] = report
    FeedVersion.objects.filter(pk=locked.pk).update(**fields)
    locked.refresh_from_db()
    transaction.on_commit(
        lambda: feed_versions_changed(operator_id=locked.operator_id, kind=locked.kind)
    )
    return locked


class FeedVersionStateError(Exception):
    """The version is not in a state that allows the operation."""


def feed_versions_changed(*, operator_id: int, kind: str) -> None:
    """After the set of active versions changed: apply retention and queue a rebuild of
    the routing network snapshot (which skips the work if nothing it uses changed)."""
    feed_versions_retention_apply(operator_id=operator_id)
    if settings.SNAPSHOT_AUTO_BUILD and kind in NETWORK_KINDS:
        from operators.tasks import network_snapshot_build_task

        network_snapshot_build_task.delay()


#: Kinds whose activation changes the routing network (tourism does not).
NETWORK_KINDS = (FeedKind.GTFS, FeedKind.GTFS_FLEX, FeedKind.GBFS)


def feed_versions_retention_apply(*, operator_id: int) -> int:
    """Purge the imported rows of superseded versions beyond the newest
    FEED_VERSIONS_RETAINED per kind (the version records and reports stay)."""
    keep = settings.FEED_VERSIONS_RETAINED
    purged = 0
    for kind in FeedKind.values:
        superseded = FeedVersion.objects.filter(
            operator_id=operator_id, kind=kind, status=FeedStatus.SUPERSEDED
        ).order_by("-activated_at", "-id")
        for old in superseded[keep:]:
            if old.meta.get("purged"):
                continue
            importer = IMPORTERS.get(kind)
            if importer is not None:
                importer.purge(feed_version=old)
            old.meta = {**old.meta, "purged": True}
            old.save(update_fields=["meta"])
            purged += 1
    return purged
