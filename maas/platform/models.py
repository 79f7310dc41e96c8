"""The usage-event outbox: every event the shared data platform receives, written in the
same transaction as the change it describes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from maas.accounts.models import VisitorType


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


# ----------------------------------------------------------------------------- statistics
# Aggregates the city reads (see docs/statistics.md). Hours are local (settings.TIME_ZONE)
# hours 0-23 of `date`; daily figures are the sum of a day's hourly rows. Every table is
# recomputed for whole days by `aggregates_compute` (delete + insert in one transaction),
# so recomputing a range is idempotent. They hold counts only, never a person.


class RidershipHourly(models.Model):
    """Booked legs (CONFIRMED/STARTED/FINISHED) by departure hour, and valid ticket
    validations by validation hour, per operator, mode, route, boarding stop and the
    passenger's visitor type."""

    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    operator = models.CharField(max_length=64)  # operator slug
    mode = models.CharField(max_length=32)
    route = models.CharField(max_length=255, blank=True)  # "<operator>:<route_id>"
    stop = models.CharField(max_length=255, blank=True)  # boarding stop / station id
    visitor_type = models.CharField(max_length=16, choices=VisitorType.choices)
    trips = models.PositiveIntegerField(default=0)
    validations = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["date", "hour"], name="stats_ridership_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.hour:02d}h"


class OdHourly(models.Model):
    """Booked legs from origin cell to destination cell (JIS X 0410, one row set per level)
    by departure hour and mode."""

    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()
    origin = models.CharField(max_length=9)
    destination = models.CharField(max_length=9)
    mode = models.CharField(max_length=32)
    trips = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["level", "date", "hour"], name="stats_od_level_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.hour:02d}h"


class BikeshareHourly(models.Model):
    """Per GBFS station and hour, from the station status history: pick-ups (decreases of
    bikes available), returns (increases) and the time-weighted mean occupancy
    (bikes / capacity) over the `observed_s` seconds the station was observed."""

    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    operator = models.CharField(max_length=64)
    station = models.CharField(max_length=255)  # "<operator>:<station_id>"
    station_name = models.CharField(max_length=255, blank=True)
    lat = models.FloatField()
    lon = models.FloatField()
    pickups = models.PositiveIntegerField(default=0)
    returns = models.PositiveIntegerField(default=0)
    occupancy = models.FloatField(null=True)  # None: capacity unknown or not observed
    observed_s = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["date", "hour"], name="stats_bikeshare_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.hour:02d}h"


class OnDemandHourly(models.Model):
    """Per operator and hour of the planned pick-up: confirmed rides, the passengers
    (seats) they carried, seat occupancy (seat-seconds ridden / seat-seconds of the active
    fleet) and refused requests (on-demand booking legs REJECTED, e.g. no capacity)."""

    date = models.DateField()
    hour = models.PositiveSmallIntegerField()
    operator = models.CharField(max_length=64)
    rides = models.PositiveIntegerField(default=0)
    passengers = models.PositiveIntegerField(default=0)
    seat_seconds = models.PositiveBigIntegerField(default=0)
    fleet_seats = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["date", "hour"], name="stats_ondemand_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.hour:02d}h"


class StatsPull(models.Model):
    """The audit log: one row per request to a statistics endpoint by a city analyst or an
    admin (who, what, with which parameters, when, how many rows were returned)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150)  # kept when the account is deleted
    role = models.CharField(max_length=16)
    endpoint = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField()
    row_count = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.endpoint} at {self.at:%Y-%m-%dT%H:%M:%S}"


class StreamLock(models.Model):
    """One row per stream, locked (SELECT ... FOR UPDATE SKIP LOCKED) by the worker that
    delivers the stream's next batch: two workers never send the same stream at once, so
    order holds; a worker that dies releases the lock with its connection."""

    stream = models.CharField(max_length=32, choices=Stream.choices, primary_key=True)

    def __str__(self) -> str:
        return self.stream
