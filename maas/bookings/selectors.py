"""Read side of bookings: a passenger's bookings, their API shape, and operator
settlement built on the wallet ledger."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.db.models import QuerySet

from maas.bookings.models import Booking, BookingLeg, BookingState, LegKind
from maas.wallet.selectors import ledger_operator_lines

_TICKETED = (BookingState.CONFIRMED, BookingState.STARTED, BookingState.FINISHED)


def booking_list(*, user: Any) -> QuerySet[Booking]:
    return Booking.objects.filter(owner=user).prefetch_related("legs__operator")


def booking_find(*, user: Any, booking_id: str) -> Booking | None:
    """The caller's booking, or None (also for another passenger's booking)."""
    try:
        key = uuid.UUID(str(booking_id))
    except ValueError:
        return None
    return booking_list(user=user).filter(pk=key).first()


def _money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _local(value: dt.datetime | None, time_zone: str) -> str | None:
    # Stored in UTC; shown in the operator's time zone (where the ticket is checked).
    return value.astimezone(zoneinfo.ZoneInfo(time_zone)).isoformat() if value else None


def _ticket(leg: BookingLeg) -> dict[str, Any] | None:
    if leg.state not in _TICKETED or not leg.ticket_code:
        return None
    return {
        "code": leg.ticket_code,
        "valid_from": _local(leg.valid_from, leg.operator.time_zone),
        "valid_until": _local(leg.valid_until, leg.operator.time_zone),
        "single_use": leg.single_use,
        "used_at": _iso(leg.used_at),
    }


def _leg_json(leg: BookingLeg, currency: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": leg.pk,
        "operator": leg.operator.slug,
        "mode": leg.mode,
        "state": leg.state,
        "price": _money(leg.price_amount, currency),
        "ticket": _ticket(leg),
    }
    if leg.kind == LegKind.LEG:
        body.update(
            itinerary_leg=leg.itinerary_leg,
            departure=leg.detail.get("departure"),
            arrival=leg.detail.get("arrival"),
            **{"from": leg.detail.get("from"), "to": leg.detail.get("to")},
        )
    else:
        body.update(
            add_on_id=leg.detail.get("id"),
            title=leg.detail.get("title"),
            valid_on=leg.detail.get("valid_on"),
        )
    if leg.refunded_amount:
        body["refunded"] = _money(leg.refunded_amount, currency)
    if leg.failure:
        body["failure"] = leg.failure
    return body


def booking_json(booking: Booking) -> dict[str, Any]:
    legs = sorted(booking.legs.all(), key=lambda leg: leg.position)
    return {
        "id": str(booking.pk),
        "offer_id": str(booking.offer_id),
        "state": booking.state,
        "legs": [_leg_json(leg, booking.currency) for leg in legs if leg.kind == LegKind.LEG],
        "add_ons": [_leg_json(leg, booking.currency) for leg in legs if leg.kind == LegKind.ADD_ON],
        "price": _money(booking.price_amount, booking.currency),
        "paid": _money(booking.paid_amount, booking.currency),
        "refunded": _money(booking.refunded_amount, booking.currency),
        "failure": booking.failure,
        "expires_at": _iso(booking.expires_at),
        "created_at": _iso(booking.created_at),
    }


def operator_settlement(*, operator_slug: str, month: dt.date, currency: str) -> dict[str, Any]:
    """What the operator earned in the month (local time): every payment and refund line of
    its payable account. `net` is the sum of the ledger lines' amounts, exactly; `gross -
    refunds - platform_fee + adjustments == net`."""
    lines = ledger_operator_lines(operator_slug=operator_slug, month=month)
    sold = [line for line in lines if line.transaction_kind == "payment"]
    refunds = [line for line in lines if line.transaction_kind == "refund"]
    adjustments = [line for line in lines if line.transaction_kind == "adjustment"]
    sold_ids = {line.booking_leg_id for line in sold if line.booking_leg_id is not None}
    used = BookingLeg.objects.filter(pk__in=sold_ids, used_at__isnull=False).count()
    return {
        "operator": operator_slug,
        "month": month.strftime("%Y-%m"),
        "currency": currency,
        "legs_sold": len(sold),
        "legs_used": used,
        "legs_refunded": len({line.booking_leg_id for line in refunds}),
        "gross": _money(sum(line.gross for line in sold), currency),
        "refunds": _money(-sum(line.gross for line in refunds), currency),
        "platform_fee": _money(sum(line.platform_fee for line in lines), currency),
        "adjustments": _money(sum(line.gross for line in adjustments), currency),
        "net": _money(sum(line.amount for line in lines), currency),
        "lines": [
            {
                "at": line.created_at.isoformat(),
                "type": line.transaction_kind,
                "reference": line.reference,
                "booking_leg": line.booking_leg_id,
                "kind": line.kind,
                "gross": line.gross,
                "platform_fee": line.platform_fee,
                "amount": line.amount,
                "currency": line.currency,
            }
            for line in lines
        ],
    }
