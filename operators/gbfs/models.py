"""GBFS data of one feed version: the system, its files (with their HTTP validators and
poll schedule), static station information, live status, vehicles, vehicle types,
geofencing zones, pricing plans, and the compact station_status history.

Live rows (station status, vehicles) are replaced as new files arrive; they belong to
the system, which belongs to exactly one feed version, so a newly registered discovery
URL never mutates the rows of the version that is serving.
"""

from __future__ import annotations

from django.db import models

from operators.models import FeedVersion, Operator


class GbfsSystem(models.Model):
    """One GBFS system (one feed version of kind gbfs)."""

    feed_version = models.OneToOneField(
        FeedVersion, on_delete=models.CASCADE, related_name="gbfs_system"
    )
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="gbfs_systems")
    discovery_url = models.URLField(blank=True, max_length=1000)
    gbfs_version = models.CharField(max_length=16, blank=True)
    system_id = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=16, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    # The whole system_information `data` (v3 localized names, rental apps, ...), and
    # geofencing global_rules.
    system_information = models.JSONField(default=dict, blank=True)
    global_rules = models.JSONField(default=list, blank=True)
    # Non-empty while the feed is stale: why (the last failure). The last good state stays.
    stale_reason = models.CharField(max_length=500, blank=True)
    stale_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.operator.slug}/gbfs#{self.feed_version_id}"


class GbfsFile(models.Model):
    """One file of a system: where it comes from, its ttl and when to fetch it next."""

    system = models.ForeignKey(GbfsSystem, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=64)  # station_status, vehicle_status, ...
    url = models.URLField(blank=True, max_length=1000)  # blank: pushed, never polled
    ttl_s = models.PositiveIntegerField(default=0)  # as published (0 = "changes often")
    last_updated = models.DateTimeField(null=True, blank=True)  # the publisher's timestamp
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)  # last good 200/304/push
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="gbfs_file_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.name}"


class Station(models.Model):
    """station_information: the static part of a dock/station."""

    system = models.ForeignKey(GbfsSystem, on_delete=models.CASCADE, related_name="stations")
    station_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    names = models.JSONField(default=dict, blank=True)  # v3 localized: {"en": ..., "ja": ...}
    lat = models.FloatField()
    lon = models.FloatField()
    capacity = models.IntegerField(null=True, blank=True)
    address = models.CharField(max_length=500, blank=True)
    region_id = models.CharField(max_length=255, blank=True)
    is_virtual_station = models.BooleanField(default=False)
    rental_uris = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "station_id"], name="gbfs_station_unique_id")
        ]
        indexes = [models.Index(fields=["lat", "lon"], name="gbfs_station_lat_lon")]

    def __str__(self) -> str:
        return f"{self.system_id}:{self.station_id}"


class StationStatus(models.Model):
    """The live station_status of one station (replaced on every new status file)."""

    station = models.OneToOneField(
        Station, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    # v2 num_bikes_available / v3 num_vehicles_available.
    num_bikes_available = models.IntegerField()
    num_docks_available = models.IntegerField(null=True, blank=True)
    is_installed = models.BooleanField(default=True)
    is_renting = models.BooleanField(default=True)
    is_returning = models.BooleanField(default=True)
    last_reported = models.DateTimeField(null=True, blank=True)
    vehicle_types_available = models.JSONField(default=list, blank=True)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"status of {self.station_id}"


class StationStatusChange(models.Model):
    """Compact history: ONE ROW PER STATION PER CHANGE of (bikes, docks, flags), the first
    observation included. Between two rows the previous value held (the fetch log says
    when it was observed). The Docomo hour (60 fetches x 1,077 stations = 64,620 status
    rows) stores as 10,783 rows. Small ints: counts fit a smallint; the three flags are a
    bit mask (1 installed, 2 renting, 4 returning)."""

    INSTALLED, RENTING, RETURNING = 1, 2, 4

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="history")
    reported_at = models.DateTimeField()  # the station's last_reported (else fetch time)
    num_bikes_available = models.SmallIntegerField()
    num_docks_available = models.SmallIntegerField(null=True)
    flags = models.SmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["station", "reported_at"], name="gbfs_hist_station_t")]

    def __str__(self) -> str:
        return f"{self.station_id}@{self.reported_at:%Y-%m-%dT%H:%M:%S}"


class FetchLog(models.Model):
    """One row per fetch (or push) of a file: when, the outcome, how many stations
    changed. With the change rows this says over which periods a value was observed."""

    file = models.ForeignKey(GbfsFile, on_delete=models.CASCADE, related_name="fetches")
    fetched_at = models.DateTimeField()
    http_status = models.SmallIntegerField(null=True)  # None: no answer / pushed
    outcome = models.CharField(max_length=16)  # updated | not_modified | pushed | failed
    changed = models.IntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.file_id} {self.outcome} at {self.fetched_at:%Y-%m-%dT%H:%M:%S}"


class Vehicle(models.Model):
    """A vehicle from free_bike_status (v1/v2) or vehicle_status (v3)."""

    system = models.ForeignKey(GbfsSystem, on_delete=models.CASCADE, related_name="vehicles")
    vehicle_id = models.CharField(max_length=255)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    station_id = models.CharField(max_length=255, blank=True)
    vehicle_type_id = models.CharField(max_length=255, blank=True)
    is_reserved = models.BooleanField(default=False)
    is_disabled = models.BooleanField(default=False)
    current_range_meters = models.FloatField(null=True, blank=True)
    last_reported = models.DateTimeField(null=True, blank=True)
    rental_uris = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.system_id}:{self.vehicle_id}"


class VehicleType(models.Model):
    system = models.ForeignKey(GbfsSystem, on_delete=models.CASCADE, related_name="vehicle_types")
    vehicle_type_id = models.CharField(max_length=255)
    form_factor = models.CharField(max_length=32, blank=True)
    propulsion_type = models.CharField(max_length=32, blank=True)
    max_range_meters = models.FloatField(null=True, blank=True)
    name = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)  # the whole entry as published

    def __str__(self) -> str:
        return f"{self.system_id}:{self.vehicle_type_id}"


class GeofencingZone(models.Model):
    """One feature of geofencing_zones: its GeoJSON geometry and rules as published."""

    system = models.ForeignKey(
        GbfsSystem, on_delete=models.CASCADE, related_name="geofencing_zones"
    )
    name = models.CharField(max_length=255, blank=True)
    geometry = models.JSONField()
    rules = models.JSONField(default=list, blank=True)
    properties = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.system_id}:{self.name}"


class PricingPlan(models.Model):
    system = models.ForeignKey(GbfsSystem, on_delete=models.CASCADE, related_name="pricing_plans")
    plan_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    currency = models.CharField(max_length=3)
    # Money in minor units (JPY 1 = 1; NOK 50.00 = 5000), never a float.
    price_amount = models.BigIntegerField()
    is_taxable = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)  # per_km_pricing, per_min_pricing, ...

    def __str__(self) -> str:
        return f"{self.system_id}:{self.plan_id}"


class StationHold(models.Model):
    """One bike held at a station by a booking of this platform. A station's availability
    as served is its published num_bikes_available minus its active holds, so a hold
    survives the next status poll (which replaces StationStatus rows) until it ends or
    `held_until` passes (the operator's own feed shows the bike gone by then)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="holds")
    reference = models.CharField(max_length=100, unique=True)  # e.g. "booking-leg:42"
    held_until = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"hold {self.reference} at {self.station_id} until {self.held_until:%H:%M}"
