"""Rows of a tourism feed version. They belong to their version and are never changed in
place; readers use the operator's active version only."""

from __future__ import annotations

from django.db import models

from operators.models import FeedVersion, Operator


class Attraction(models.Model):
    feed_version = models.ForeignKey(
        FeedVersion, on_delete=models.CASCADE, related_name="attractions"
    )
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="attractions")
    attraction_id = models.CharField(max_length=255)
    name_ja = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    lat = models.FloatField()
    lon = models.FloatField()
    category = models.CharField(max_length=64, blank=True)
    url = models.URLField(blank=True, max_length=500)
    # {"mon": [["09:00", "17:00"]], ..., "sun": [], "holiday": [...]}: a weekday missing
    # from the map is closed that day; an empty map means hours unknown.
    opening_hours = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feed_version", "attraction_id"], name="tourism_attraction_unique_id"
            )
        ]
        indexes = [models.Index(fields=["lat", "lon"], name="tourism_attraction_lat_lon")]

    def __str__(self) -> str:
        return f"{self.operator_id}:{self.attraction_id}"

    def name_in(self, language: str) -> str:
        if language == "en" and self.name_en:
            return self.name_en
        return self.name_ja


class TicketProduct(models.Model):
    feed_version = models.ForeignKey(
        FeedVersion, on_delete=models.CASCADE, related_name="ticket_products"
    )
    attraction = models.ForeignKey(Attraction, on_delete=models.CASCADE, related_name="products")
    product_id = models.CharField(max_length=255)
    name_ja = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    rider_category = models.CharField(max_length=32, default="adult")
    price_amount = models.BigIntegerField()  # minor units of `currency` (JPY: yen)
    currency = models.CharField(max_length=3, default="JPY")
    # The operator that sells or honours the ticket, as written in the feed; linked to
    # an Operator when one with that slug exists.
    partner_operator_slug = models.CharField(max_length=63, blank=True)
    partner_operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feed_version", "product_id"], name="tourism_product_unique_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.feed_version_id}:{self.product_id}"

    def name_in(self, language: str) -> str:
        if language == "en" and self.name_en:
            return self.name_en
        return self.name_ja
