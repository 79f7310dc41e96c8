"""Online ticket validation by an operator: the signature, the leg's state, the validity
window, single use; every attempt is recorded as a TicketValidation (a usage event)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from maas.bookings.models import (
    Booking,
    BookingLeg,
    BookingState,
    TicketValidation,
    ValidationResult,
)
from maas.bookings.tickets import TicketInvalid, ticket_verify
from maas.platform.services import booking_event_record, ticket_event_record
from operators.models import Operator

_USABLE = (BookingState.CONFIRMED, BookingState.STARTED, BookingState.FINISHED)


@transaction.atomic
def _record(*, operator: Operator, leg: BookingLeg | None, now: dt.datetime, reason: str) -> None:
    result = ValidationResult.INVALID if reason else ValidationResult.VALID
    TicketValidation.objects.create(
        leg=leg, operator=operator, at=now, result=result, reason=reason
    )
    ticket_event_record(leg=leg, provider=operator.slug, result=result, reason=reason, at=now)


def _leg_json(leg: BookingLeg) -> dict[str, Any]:
    return {
        "id": leg.pk,
        "booking_id": str(leg.booking_id),
        "operator": leg.operator.slug,
        "mode": leg.mode,
        "kind": leg.kind,
        "valid_from": leg.valid_from.isoformat() if leg.valid_from else None,
        "valid_until": leg.valid_until.isoformat() if leg.valid_until else None,
        "single_use": leg.single_use,
        "used_at": leg.used_at.isoformat() if leg.used_at else None,
    }


def ticket_validate(
    *, code: str, operator: Operator | None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """{"valid", "booking_leg", "reason"} for a ticket shown to `operator` (None: an admin,
    who may check any ticket). Another operator's ticket answers `not_your_ticket` and
    nothing about it."""
    now = now or timezone.now()
    try:
        claims = ticket_verify(code=code)
    except TicketInvalid as exc:
        if operator is not None:
            _record(operator=operator, leg=None, now=now, reason=exc.reason)
        return {"valid": False, "booking_leg": None, "reason": exc.reason}
    with transaction.atomic():
        # Lock order booking -> leg, as cancellation does, so a validation racing a
        # cancel of the same booking waits instead of deadlocking.
        booking_id = (
            BookingLeg.objects.filter(pk=claims.leg_id).values_list("booking_id", flat=True).first()
        )
        if booking_id is not None:
            Booking.objects.select_for_update().filter(pk=booking_id).first()
        leg = (
            BookingLeg.objects.select_for_update()
            .select_related("operator")
            .filter(pk=claims.leg_id)
            .first()
        )
        if leg is None or leg.ticket_code != code.strip():
            if operator is not None:
                _record(operator=operator, leg=None, now=now, reason="unknown_ticket")
            return {"valid": False, "booking_leg": None, "reason": "unknown_ticket"}
        if operator is not None and leg.operator_id != operator.pk:
            _record(operator=operator, leg=None, now=now, reason="not_your_ticket")
            return {"valid": False, "booking_leg": None, "reason": "not_your_ticket"}
        reason = ""
        if leg.state not in _USABLE:
            reason = "cancelled" if leg.state == BookingState.CANCELLED else "not_confirmed"
        elif leg.valid_from is not None and now < leg.valid_from:
            reason = "not_yet_valid"
        elif leg.valid_until is not None and now > leg.valid_until:
            reason = "expired"
        elif leg.single_use and leg.used_at is not None:
            reason = "already_used"
        if not reason:
            if leg.used_at is None:
                leg.used_at = now
            leg.state = BookingState.STARTED
            leg.save(update_fields=["used_at", "state"])
            booking = Booking.objects.select_for_update().get(pk=leg.booking_id)
            if booking.state in (BookingState.CONFIRMED, BookingState.STARTED):
                unused = booking.legs.filter(used_at__isnull=True).exists()
                previous = booking.state
                booking.state = BookingState.STARTED if unused else BookingState.FINISHED
                booking.save(update_fields=["state", "updated_at"])
                if booking.state != previous:
                    booking_event_record(booking=booking, state=booking.state, occurred_at=now)
        _record(operator=operator or leg.operator, leg=leg, now=now, reason=reason)
    return {"valid": not reason, "booking_leg": _leg_json(leg), "reason": reason or None}
