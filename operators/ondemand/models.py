"""On-demand capacity: an operator's services (one per GTFS-Flex zone), their vehicles,
and the rides (seat holds) the dispatcher assigned to those vehicles.

See docs/ondemand.md. Business rules live in services.py / dispatch.py, not here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from operators.models import Operator
from operators.ondemand.shifts import ShiftError, shifts_validate


def validate_shifts(value: object) -> None:
    try:
        shifts_validate(value)
    except ShiftError as exc:
        raise ValidationError(str(exc)) from exc


class OnDemandService(models.Model):
    """Capacity management of one operator's on-demand service in one GTFS-Flex zone.

    `zone_id` is a `location_id` (locations.geojson) or a `location_group_id` of the
    operator's active flex feed, exactly as the planner names the zone. The travel model
    (road speed, detour, dwell, maximum ride time) is the dispatcher's `TravelModel`.
    An inactive service takes no rides; existing rides are kept.
    """

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="ondemand_services"
    )
    zone_id = models.CharField(max_length=255)
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    road_speed_mps = models.FloatField(
        default=8.0, validators=[MinValueValidator(0.5), MaxValueValidator(40.0)]
    )
    detour_factor = models.FloatField(
        default=1.3, validators=[MinValueValidator(1.0), MaxValueValidator(5.0)]
    )
    # boarding or alighting time at every stop
    dwell_s = models.PositiveIntegerField(default=60, validators=[MaxValueValidator(1800)])
    # maximum ride time = direct drive time x max_ride_factor + service_buffer_s
    max_ride_factor = models.FloatField(
        default=2.0, validators=[MinValueValidator(1.0), MaxValueValidator(10.0)]
    )
    service_buffer_s = models.PositiveIntegerField(
        default=600, validators=[MaxValueValidator(4 * 3600)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "zone_id"], name="one_ondemand_service_per_operator_zone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator_id}:{self.zone_id} ({self.name})"


class Vehicle(models.Model):
    """One vehicle of a service: its seats, when it is in service (`shifts`, see
    operators/ondemand/shifts.py) and, optionally, the depot it starts each shift from."""

    service = models.ForeignKey(OnDemandService, on_delete=models.CASCADE, related_name="vehicles")
    label = models.CharField(max_length=100)
    seats = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    shifts = models.JSONField(default=list, blank=True, validators=[validate_shifts])
    depot_lat = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    depot_lon = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "label"], name="one_vehicle_label_per_service"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.seats} seats)"

    def clean(self) -> None:
        if (self.depot_lat is None) != (self.depot_lon is None):
            raise ValidationError("give both depot_lat and depot_lon, or neither")


class RideState(models.TextChoices):
    # TOMP-API names, as the booking legs use them
    HELD = "HELD"
    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"


#: States whose rides occupy seats (a HELD ride only until its expires_at).
ACTIVE_RIDE_STATES = (RideState.HELD, RideState.CONFIRMED)


class Ride(models.Model):
    """Seats on one vehicle for one trip inside a service's zone.

    HELD (until `expires_at`) -> CONFIRMED, or -> RELEASED / EXPIRED; CONFIRMED ->
    CANCELLED. The planned times are the dispatcher's as-soon-as-possible schedule and move
    (within the rider's windows) when later rides are inserted before them; `pickup_order`
    and `dropoff_order` are the stops' positions in the vehicle's schedule.
    """

    service = models.ForeignKey(OnDemandService, on_delete=models.PROTECT, related_name="rides")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="rides")
    seats = models.PositiveSmallIntegerField()
    pickup_lat = models.FloatField()
    pickup_lon = models.FloatField()
    dropoff_lat = models.FloatField()
    dropoff_lon = models.FloatField()
    pickup_earliest = models.DateTimeField()
    pickup_latest = models.DateTimeField()
    dropoff_latest = models.DateTimeField(null=True, blank=True)
    planned_pickup_at = models.DateTimeField()
    planned_dropoff_at = models.DateTimeField()
    pickup_order = models.IntegerField()
    dropoff_order = models.IntegerField()
    state = models.CharField(max_length=16, choices=RideState.choices, default=RideState.HELD)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The caller's reference (e.g. the booking leg); a repeated hold with the same one
    # returns the first ride.
    reference = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "reference"],
                condition=~models.Q(reference=""),
                name="one_ride_per_service_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(seats__gte=1), name="ride_seats_at_least_one"
            ),
        ]
        indexes = [
            # a vehicle's live schedule in one shift
            models.Index(
                fields=["vehicle", "state", "planned_pickup_at"], name="ride_vehicle_live"
            ),
            # the expiry sweep
            models.Index(fields=["state", "expires_at"], name="ride_state_expiry"),
        ]

    def __str__(self) -> str:
        return f"ride {self.pk} ({self.state}, {self.seats} seats)"
