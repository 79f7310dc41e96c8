"""Adapters for inventory the platform knows itself: fixed-route tickets (no inventory),
on-demand seats (operators.ondemand), bike reservations at GBFS stations and attraction
tickets with a daily quota."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from maas.bookings.adapters.base import Hold, LegRejected
from maas.bookings.models import (
    AttractionQuota,
    AttractionSales,
    BikeReservation,
    BookingLeg,
    ReservationState,
)
from maas.platform.models import Stream
from maas.platform.services import coarse_location, leg_event_record, object_ref
from operators.gbfs.models import Station
from operators.gbfs.services import station_hold_create, station_hold_end, station_hold_extend
from operators.ondemand.models import Ride
from operators.ondemand.services import (
    NoCapacity,
    OnDemandServiceNotFound,
    RideStateError,
    ride_cancel,
    ride_confirm,
    ride_hold,
    ride_release,
)

logger = logging.getLogger(__name__)


class FixedRouteAdapter:
    """A ticket on a scheduled service: there is no seat inventory, so a hold always
    succeeds and there is nothing to release."""

    name = "fixed-route"
    single_use = True

    def hold(self, *, leg: BookingLeg, expires_at: dt.datetime) -> Hold:
        return Hold()

    def commit(self, *, leg: BookingLeg) -> None:
        return None

    def release(self, *, leg: BookingLeg) -> None:
        return None

    def cancel(self, *, leg: BookingLeg) -> None:
        return None


def _point(place: dict[str, object]) -> tuple[float, float]:
    return (float(place["lat"]), float(place["lon"]))  # type: ignore[arg-type]


class OnDemandAdapter:
    """A seat on an on-demand vehicle, held with the dispatcher (operators.ondemand). A zone
    whose capacity the operator does not manage here is booked like a fixed-route ticket."""

    name = "ondemand"
    single_use = True

    def hold(self, *, leg: BookingLeg, expires_at: dt.datetime) -> Hold:
        detail = leg.detail
        zone = str((detail.get("zone") or {}).get("id") or "")
        departure = dt.datetime.fromisoformat(detail["departure"])
        arrival = dt.datetime.fromisoformat(detail["arrival"])
        now = timezone.now()
        try:
            with transaction.atomic():
                ride = ride_hold(
                    operator_slug=leg.operator.slug,
                    zone_id=zone.split(":", 1)[-1],
                    pickup=_point(detail["from"]),
                    dropoff=_point(detail["to"]),
                    pickup_earliest=departure,
                    pickup_latest=departure,
                    dropoff_latest=arrival,
                    reference=f"booking-leg:{leg.pk}",
                    hold_s=max(1, int((expires_at - now).total_seconds())),
                    now=now,
                )
                _ride_event(leg, "held", ride)
        except OnDemandServiceNotFound:
            return Hold()
        except NoCapacity as exc:
            raise LegRejected("no_capacity", f"No seat on the on-demand service: {exc}") from exc
        except ValueError as exc:
            raise LegRejected("operator_rejected", str(exc)) from exc
        return Hold(external_id=str(ride.pk))

    def _ride(self, leg: BookingLeg) -> Ride | None:
        return Ride.objects.filter(pk=int(leg.external_id)).first() if leg.external_id else None

    def commit(self, *, leg: BookingLeg) -> None:
        ride = self._ride(leg)
        if ride is None:
            return
        try:
            with transaction.atomic():
                ride_confirm(ride=ride)
                _ride_event(leg, "confirmed", ride)
        except RideStateError as exc:
            raise LegRejected("hold_expired", str(exc)) from exc

    def release(self, *, leg: BookingLeg) -> None:
        ride = self._ride(leg)
        if ride is not None:
            try:
                with transaction.atomic():
                    ride_release(ride=ride)
                    _ride_event(leg, "released", ride)
            except RideStateError:
                with transaction.atomic():
                    ride_cancel(ride=ride)
                    _ride_event(leg, "cancelled", ride)

    def cancel(self, *, leg: BookingLeg) -> None:
        ride = self._ride(leg)
        if ride is not None:
            with transaction.atomic():
                ride_cancel(ride=ride)
                _ride_event(leg, "cancelled", ride)


def _ride_event(leg: BookingLeg, type: str, ride: Ride) -> None:
    leg_event_record(
        stream=Stream.ONDEMAND,
        type=type,
        leg=leg,
        extra={
            "vehicle_id": object_ref(kind="vehicle", object_id=ride.vehicle_id),
            "zone": str((leg.detail.get("zone") or {}).get("id") or "") or None,
            "passengers": int(ride.seats),
        },
    )


def _bike_event(leg: BookingLeg, type: str, station: Station) -> None:
    leg_event_record(
        stream=Stream.BIKESHARE,
        type=type,
        leg=leg,
        extra={
            "station_id": f"{leg.operator.slug}:{station.station_id}",
            "event_location": coarse_location(station.lat, station.lon),
        },
    )


def bike_station_find(*, station_ref: str) -> Station | None:
    """The station `"<operator>:<station_id>"` of the operator's newest GBFS system."""
    operator_slug, _, station_id = station_ref.partition(":")
    return (
        Station.objects.filter(
            system__operator__slug=operator_slug, station_id=station_id, status__isnull=False
        )
        .order_by("-system_id")
        .first()
    )


def _hold_reference(leg: BookingLeg) -> str:
    return f"booking-leg:{leg.pk}"


#: A confirmed reservation keeps its bike until this long after the leg's departure; by
#: then the bike was picked up (the operator's feed shows it gone) or the rider did not come.
BIKE_PICKUP_GRACE = dt.timedelta(minutes=15)


class BikeShareAdapter:
    """One bike held at the pickup station (`operators.gbfs` StationHold): the station row is
    locked and its published bikes minus active holds checked, so the last bike goes to
    exactly one booking, and the hold outlives the next status poll. Released, expired or
    cancelled reservations give the bike back."""

    name = "bikeshare"
    single_use = True

    def hold(self, *, leg: BookingLeg, expires_at: dt.datetime) -> Hold:
        station_ref = str((leg.detail.get("station") or {}).get("id") or "")
        station = bike_station_find(station_ref=station_ref)
        if station is None:
            raise LegRejected("no_capacity", f"The bike station {station_ref!r} is not known.")
        with transaction.atomic():
            if not station_hold_create(
                station=station, reference=_hold_reference(leg), until=expires_at
            ):
                raise LegRejected("no_capacity", f"No bike left at {station.name}.")
            reservation = BikeReservation.objects.create(
                station=station, leg=leg, state=ReservationState.HELD, expires_at=expires_at
            )
            _bike_event(leg, "held", station)
        return Hold(external_id=str(reservation.pk))

    def _end(self, leg: BookingLeg, state: str, *, from_states: tuple[str, ...]) -> None:
        with transaction.atomic():
            reservation = BikeReservation.objects.select_for_update().filter(leg=leg).first()
            if reservation is None or reservation.state not in from_states:
                return  # nothing held (any more): compensation may run twice
            reservation.state = state
            reservation.save(update_fields=["state"])
            station_hold_end(reference=_hold_reference(leg))
            _bike_event(leg, state.lower(), reservation.station)

    def commit(self, *, leg: BookingLeg) -> None:
        with transaction.atomic():
            reservation = BikeReservation.objects.select_for_update().filter(leg=leg).first()
            if reservation is None or reservation.state != ReservationState.HELD:
                raise LegRejected("hold_expired", "The bike reservation is no longer held.")
            reservation.state = ReservationState.CONFIRMED
            reservation.expires_at = None
            reservation.save(update_fields=["state", "expires_at"])
            until = (leg.departure_at or timezone.now()) + BIKE_PICKUP_GRACE
            station_hold_extend(reference=_hold_reference(leg), until=until)
            _bike_event(leg, "confirmed", reservation.station)

    def release(self, *, leg: BookingLeg) -> None:
        self._end(leg, ReservationState.RELEASED, from_states=(ReservationState.HELD,))

    def cancel(self, *, leg: BookingLeg) -> None:
        self._end(
            leg,
            ReservationState.CANCELLED,
            from_states=(ReservationState.HELD, ReservationState.CONFIRMED),
        )


class AttractionAdapter:
    """A tourism ticket for one local day. With an AttractionQuota the day's sales row is
    locked and counted, so the last ticket goes to exactly one booking."""

    name = "attraction"
    single_use = True

    def _key(self, leg: BookingLeg) -> tuple[str, dt.date]:
        product_id = str(leg.detail["id"]).split(":", 1)[-1]
        return product_id, dt.date.fromisoformat(str(leg.detail["valid_on"]))

    def hold(self, *, leg: BookingLeg, expires_at: dt.datetime) -> Hold:
        product_id, valid_on = self._key(leg)
        key = {
            "tourism_operator_id": leg.operator_id,
            "product_id": product_id,
            "valid_on": valid_on,
        }
        quota = AttractionQuota.objects.filter(
            tourism_operator_id=leg.operator_id, product_id=product_id
        ).first()
        with transaction.atomic():
            AttractionSales.objects.bulk_create([AttractionSales(**key)], ignore_conflicts=True)
            sales = AttractionSales.objects.select_for_update().get(**key)
            if quota is not None and sales.taken >= quota.daily_limit:
                raise LegRejected("no_capacity", f"Sold out on {valid_on.isoformat()}.")
            AttractionSales.objects.filter(pk=sales.pk).update(taken=F("taken") + 1)
        return Hold(external_id=f"{product_id}@{valid_on.isoformat()}")

    def commit(self, *, leg: BookingLeg) -> None:
        return None

    def _give_back(self, leg: BookingLeg) -> None:
        product_id, valid_on = self._key(leg)
        AttractionSales.objects.filter(
            tourism_operator_id=leg.operator_id,
            product_id=product_id,
            valid_on=valid_on,
            taken__gt=0,
        ).update(taken=F("taken") - 1)

    # The booking service calls these once per held leg (it flips the leg's state in the
    # same transaction under the leg's row lock), which keeps the counter exact.
    def release(self, *, leg: BookingLeg) -> None:
        self._give_back(leg)

    def cancel(self, *, leg: BookingLeg) -> None:
        self._give_back(leg)
