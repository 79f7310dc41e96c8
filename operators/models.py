"""Transport operators. Feed versions hang off an operator (see the feeds issue)."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models


class Mode(models.TextChoices):
    RAIL = "rail", "Rail"
    SUBWAY = "subway", "Subway/metro"
    TRAM = "tram", "Tram"
    BUS = "bus", "Bus"
    FERRY = "ferry", "Ferry"
    CABLE = "cable", "Cable car/ropeway"
    ONDEMAND = "ondemand", "On-demand bus"
    BIKESHARE = "bikeshare", "Bike share"
    TOURISM = "tourism", "Tourism"


def validate_modes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise ValidationError("modes must be a list of strings")
    unknown = sorted(set(value) - set(Mode.values))
    if unknown:
        raise ValidationError(f"unknown modes: {', '.join(unknown)}")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"unknown IANA time zone {value!r}")


slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$",
    "lowercase letters, digits and hyphens, starting with a letter or digit",
)


class Operator(models.Model):
    """A transport (or tourism) operator: the tenant that owns feeds, tickets, settlement."""

    slug = models.CharField(max_length=63, unique=True, validators=[slug_validator])
    name_ja = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    modes = models.JSONField(default=list, blank=True, validators=[validate_modes])
    time_zone = models.CharField(
        max_length=64, default="Asia/Tokyo", validators=[validate_time_zone]
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def name_in(self, language: str) -> str:
        """The operator's name in `language` (`en` falls back to the Japanese name)."""
        if language == "en" and self.name_en:
            return self.name_en
        return self.name_ja


class FeedKind(models.TextChoices):
    GTFS = "gtfs", "GTFS (incl. GTFS-JP)"
    GTFS_FLEX = "gtfs-flex", "GTFS-Flex"
    GBFS = "gbfs", "GBFS"
    TOURISM = "tourism", "Tourism attractions"


class FeedStatus(models.TextChoices):
    QUEUED = "queued"
    VALIDATING = "validating"
    IMPORTING = "importing"
    ACTIVE = "active"
    FAILED = "failed"
    SUPERSEDED = "superseded"


def feed_upload_path(instance: FeedVersion, filename: str) -> str:
    # The stored name never comes from the client (path traversal, odd characters).
    return f"feeds/{instance.operator.slug}/{instance.kind}/{uuid.uuid4().hex}.upload"


class FeedVersion(models.Model):
    """One upload (or one GBFS discovery URL) of a feed of one operator.

    queued -> validating -> importing -> active | failed; an active version becomes
    superseded when another of the same operator and kind is activated. Imported rows
    belong to their version and are never changed in place; activation (and rollback, by
    re-activating an older version) flips the active pointer in one transaction. At most
    one version per (operator, kind) is active, enforced by the database.
    """

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="feed_versions")
    kind = models.CharField(max_length=16, choices=FeedKind.choices)
    status = models.CharField(
        max_length=16, choices=FeedStatus.choices, default=FeedStatus.QUEUED, db_index=True
    )
    source_file = models.FileField(upload_to=feed_upload_path, blank=True, max_length=300)
    source_url = models.URLField(blank=True, max_length=1000)
    original_filename = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # {"stops": n, "routes": n, ...}: rows imported per table.
    counts = models.JSONField(default=dict, blank=True)
    # {"errors": [issue], "warnings": [issue]}, issue = {code, file, row, field, message}.
    report = models.JSONField(default=dict, blank=True)
    # Extra facts per kind (feed_info, service period, GBFS version, ...).
    meta = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "kind"],
                condition=models.Q(status="active"),
                name="one_active_feed_version_per_operator_and_kind",
            )
        ]
        indexes = [models.Index(fields=["operator", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.operator.slug}/{self.kind}#{self.pk} ({self.status})"


class SnapshotStatus(models.TextChoices):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class NetworkSnapshot(models.Model):
    """A compiled routing network built from the active feed versions, saved on disk
    (`routing.snapshot`). API processes serve the newest ready one and switch to a newer
    one without a restart; a failed build leaves the previous one serving."""

    version = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.BUILDING
    )
    path = models.CharField(max_length=500, blank=True)
    feed_version_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"])]

    def __str__(self) -> str:
        return f"snapshot {self.version} ({self.status})"
