"""Transport operators. Feed versions hang off an operator (see the feeds issue)."""

from __future__ import annotations

import zoneinfo

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
