"""The usage-event outbox: every event the shared data platform receives, written in the
same transaction as the change it describes."""

from __future__ import annotations

import uuid

from django.db import models


class Stream(models.TextChoices):
    """One ordered stream per kind of thing (delivery keeps the order within a stream)."""

    PLANS = "plans"
    OFFERS = "offers"
    BOOKINGS = "bookings"
    TICKETS = "tickets"
    BIKESHARE = "bikeshare"
    ONDEMAND = "ondemand"


class UsageEvent(models.Model):
    """One event for the platform. `event_id` is the id the platform sees (it dedupes on
    it); the auto-increment primary key orders events within a stream; `payload` never
    holds raw personal data (person ids are pseudonymised before they are written)."""

    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    stream = models.CharField(max_length=32, choices=Stream.choices, db_index=True)
    type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["stream", "delivered_at", "id"])]

    def __str__(self) -> str:
        return f"{self.stream}/{self.type} {self.event_id}"
