"""Bookings (TOMP-API states), their legs with one signed ticket each, ticket validations,
and the per-operator configuration bookings need: how a leg is booked with the operator's
own system (OperatorIntegration), cancellation rules and the platform fee. Inventory the
platform keeps itself (bike reservations at a station, attraction daily quotas) lives here
too, so the feed apps stay untouched. See docs/bookings.md."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from operators.models import Operator


class BookingState(models.TextChoices):
    """TOMP-API v1.6 booking states."""

    NEW = "NEW", "New"
    PENDING = "PENDING", "Pending (held with every operator)"
    CONFIRMED = "CONFIRMED", "Confirmed and paid"
    REJECTED = "REJECTED", "Rejected (an operator refused, or payment failed)"
    RELEASED = "RELEASED", "Released"
    EXPIRED = "EXPIRED", "Expired (held too long)"
    CANCELLED = "CANCELLED", "Cancelled"
    STARTED = "STARTED", "Started (a ticket was used)"
    FINISHED = "FINISHED", "Finished (every ticket used)"


# A booking in one of these states holds its offer: no second booking of it may start.
OFFER_HOLDING_STATES = (
    BookingState.NEW,
    BookingState.PENDING,
    BookingState.CONFIRMED,
    BookingState.CANCELLED,
    BookingState.STARTED,
    BookingState.FINISHED,
)


class LegKind(models.TextChoices):
    LEG = "leg", "Itinerary leg"
    ADD_ON = "add_on", "Add-on (tourism ticket)"


class Booking(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    offer = models.ForeignKey("trips.Offer", on_delete=models.PROTECT, related_name="bookings")
    state = models.CharField(max_length=16, choices=BookingState.choices, default="NEW")
    price_amount = models.BigIntegerField()  # offer price + chosen add-ons, minor units
    currency = models.CharField(max_length=3)
    paid_amount = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    add_on_ids = models.JSONField(default=list)
    payment_transaction_id = models.BigIntegerField(null=True, blank=True)  # wallet.Transaction
    # While PENDING: the holds expire (and are released by the sweep) at this time.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Why it was REJECTED: {"code", "message", "leg"}.
    failure = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # An offer is booked once; a rejected/expired attempt frees it again.
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(state__in=[s.value for s in OFFER_HOLDING_STATES]),
                name="bookings_offer_booked_once",
            )
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} {self.state}"


class BookingLeg(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="legs")
    position = models.PositiveSmallIntegerField()  # order in the booking
    kind = models.CharField(max_length=8, choices=LegKind.choices, default=LegKind.LEG)
    itinerary_leg = models.PositiveSmallIntegerField(null=True, blank=True)  # index in offer
    mode = models.CharField(max_length=32)  # transit | bikeshare | ondemand | attraction_ticket
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="booking_legs")
    adapter = models.CharField(max_length=32)  # key of adapters.registry.ADAPTERS
    state = models.CharField(max_length=16, choices=BookingState.choices, default="NEW")
    detail = models.JSONField(default=dict)  # the frozen itinerary leg or add-on
    price_amount = models.BigIntegerField(default=0)  # its share of the price, minor units
    platform_fee = models.BigIntegerField(default=0)  # the platform's part of price_amount
    refunded_amount = models.BigIntegerField(default=0)
    external_id = models.CharField(max_length=255, blank=True)  # the operator's hold id
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    departure_at = models.DateTimeField(null=True, blank=True)  # cancellation rules
    # The ticket
    ticket_code = models.TextField(blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    single_use = models.BooleanField(default=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # An operator CANCEL that could not be delivered yet (retried by the sweep).
    cancel_pending = models.BooleanField(default=False)
    failure = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "position"], name="bookings_leg_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"leg {self.pk} {self.mode} {self.state}"


class ValidationResult(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"


class TicketValidation(models.Model):
    """One validation attempt by an operator: the usage event the platform issue
    publishes. `leg` is empty when the code could not be read at all."""

    leg = models.ForeignKey(
        BookingLeg, null=True, blank=True, on_delete=models.CASCADE, related_name="validations"
    )
    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(db_index=True)
    result = models.CharField(max_length=8, choices=ValidationResult.choices)
    reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.operator_id} {self.result} {self.reason}"


class IntegrationAdapter(models.TextChoices):
    TOMP_HTTP = "tomp-http", "TOMP-API v1.6 over HTTP"


class OperatorIntegration(models.Model):
    """An operator whose own system takes part in bookings. The secret is never stored:
    `auth_secret_env` names the environment variable holding the header's value."""

    operator = models.OneToOneField(
        Operator, on_delete=models.CASCADE, related_name="booking_integration"
    )
    adapter = models.CharField(
        max_length=32, choices=IntegrationAdapter.choices, default=IntegrationAdapter.TOMP_HTTP
    )
    base_url = models.URLField(max_length=500)
    auth_header = models.CharField(max_length=100, default="Authorization")
    auth_secret_env = models.CharField(max_length=100, blank=True)
    timeout_s = models.FloatField(default=10.0)
    # Leg modes served through the integration; empty: every mode of the operator.
    modes = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.operator_id} via {self.adapter}"


class CancellationPolicy(models.Model):
    """Free cancellation until `free_until_min` minutes before the leg's departure; after
    that a fee (`fee_amount` minor units, or `fee_percent` of the leg's price); nothing is
    refunded once the leg has departed or its ticket was used."""

    operator = models.OneToOneField(
        Operator, on_delete=models.CASCADE, related_name="cancellation_policy"
    )
    free_until_min = models.PositiveIntegerField(default=0)
    fee_amount = models.PositiveBigIntegerField(null=True, blank=True)
    fee_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # The platform's commission on this operator's sales, overriding PLATFORM_FEE_PERCENT.
    platform_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name_plural = "cancellation policies"

    def __str__(self) -> str:
        return f"policy of {self.operator_id}"


class ReservationState(models.TextChoices):
    HELD = "HELD", "Held"
    CONFIRMED = "CONFIRMED", "Confirmed"
    RELEASED = "RELEASED", "Released"
    EXPIRED = "EXPIRED", "Expired"
    CANCELLED = "CANCELLED", "Cancelled"


class BikeReservation(models.Model):
    """One bike held at a station for a booking leg; while HELD or CONFIRMED the station's
    served availability is one lower (an `operators.gbfs` StationHold, which survives the
    next status poll)."""

    station = models.ForeignKey("gbfs.Station", on_delete=models.CASCADE, related_name="+")
    leg = models.OneToOneField(BookingLeg, on_delete=models.CASCADE, related_name="bike")
    state = models.CharField(max_length=16, choices=ReservationState.choices, default="HELD")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"bike at {self.station_id} {self.state}"


class AttractionQuota(models.Model):
    """How many tickets of a tourism product may be sold per local day (configurable in the
    admin); keyed by the tourism operator and the feed's product_id, like AddOnDiscount."""

    tourism_operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    product_id = models.CharField(max_length=255)
    daily_limit = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tourism_operator", "product_id"], name="bookings_quota_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tourism_operator_id}:{self.product_id} {self.daily_limit}/day"


class AttractionSales(models.Model):
    """Tickets held or sold of one product on one day (the row locked while counting)."""

    tourism_operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="+")
    product_id = models.CharField(max_length=255)
    valid_on = models.DateField()
    taken = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "attraction sales"
        constraints = [
            models.UniqueConstraint(
                fields=["tourism_operator", "product_id", "valid_on"],
                name="bookings_sales_unique_day",
            ),
            models.CheckConstraint(condition=Q(taken__gte=0), name="bookings_sales_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.tourism_operator_id}:{self.product_id} {self.valid_on} {self.taken}"
