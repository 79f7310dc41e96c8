"""Offers (what was priced, frozen until it expires), passes/bundles sold by operators and
the city, and the discount rules for tourism add-ons bought with a trip."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from operators.models import Operator


class RiderCategory(models.TextChoices):
    ADULT = "adult", "Adult"
    CHILD = "child", "Child"
    SENIOR = "senior", "Senior"
    DISABILITY = "disability", "Disability discount"


class Product(models.Model):
    """A pass or bundle: e.g. a 1-day pass valid on operators X and Y, an area tourist pass.

    Owned by one operator (covering only that operator), or by the city (`operator` empty;
    created by city staff or an admin) covering several. Valid for `duration_s` from the
    first ride it covers and/or on `calendar_days` consecutive calendar days (local time);
    coverage: the operators, optionally narrowed to routes ("<operator>:<route_id>") and/or
    an area (both ends of a covered leg within `area_radius_m` of the centre).
    """

    operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.CASCADE, related_name="products"
    )
    code = models.SlugField(max_length=63)
    name_ja = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    price_amount = models.PositiveBigIntegerField()  # minor units of `currency`
    currency = models.CharField(max_length=3, default="JPY")
    rider_category = models.CharField(
        max_length=16, choices=RiderCategory.choices, default=RiderCategory.ADULT
    )
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    calendar_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    covered_operators = models.ManyToManyField(Operator, related_name="covering_products")
    route_ids = models.JSONField(default=list, blank=True)
    area_lat = models.FloatField(null=True, blank=True)
    area_lon = models.FloatField(null=True, blank=True)
    area_radius_m = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "code"],
                condition=models.Q(operator__isnull=False),
                name="trips_product_code_per_operator",
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(operator__isnull=True),
                name="trips_product_code_city",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_s__isnull=False)
                | models.Q(calendar_days__isnull=False),
                name="trips_product_has_validity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator.slug if self.operator else 'city'}:{self.code}"

    def name_in(self, language: str) -> str:
        if language == "en" and self.name_en:
            return self.name_en
        return self.name_ja


class AddOnDiscount(models.Model):
    """The bundle-discount rule of one tourism ticket product bought with a trip: a
    percentage off (the discount is rounded down to a whole minor unit) or a fixed amount
    off (never below zero). Keyed by the tourism operator and the feed's product_id, so it
    survives new versions of the tourism feed."""

    tourism_operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    product_id = models.CharField(max_length=255)
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    amount_off = models.PositiveBigIntegerField(null=True, blank=True)  # minor units
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tourism_operator", "product_id"], name="trips_addon_discount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tourism_operator_id}:{self.product_id}"

    def discount_on(self, amount: int) -> int:
        """The discount on a price of `amount` minor units (0 <= discount <= amount)."""
        if not self.is_active:
            return 0
        if self.percent_off is not None:
            return min(amount, amount * self.percent_off // 100)
        return min(amount, self.amount_off or 0)


class Offer(models.Model):
    """A priced itinerary, frozen: a booking charges exactly `price_amount` (+ the frozen
    prices of the add-ons it picks) until `expires_at`, whatever happens to fares later."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="offers",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    rider_category = models.CharField(max_length=16, choices=RiderCategory.choices)
    itinerary = models.JSONField()
    # None when the price cannot be determined (see price_reason); such offers can't be booked
    price_amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    price_reason = models.JSONField(null=True, blank=True)
    price_breakdown = models.JSONField(default=list)
    bundle_discount = models.JSONField(null=True, blank=True)
    add_ons = models.JSONField(default=list)
    # what the price was computed from: {"<namespace>": feed_version_id}, product ids
    feed_version_ids = models.JSONField(default=dict)
    product_ids = models.JSONField(default=list)
    snapshot = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"offer {self.pk}"
