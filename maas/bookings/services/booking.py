"""The booking lifecycle (TOMP-API states): NEW -> PENDING (every leg held with its
operator) -> CONFIRMED (every leg committed and the wallet charged in one database
transaction), or REJECTED with every held leg RELEASED and nothing charged.

Compensation: whatever goes wrong after a hold — an operator refusing or timing out, the
wallet refusing, the database failing mid-commit — every leg still PENDING in the database
is released through its adapter (for an HTTP operator that is a CANCEL event, which also
undoes a COMMIT the operator accepted before our transaction rolled back).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from maas.bookings.adapters.base import LegRejected
from maas.bookings.adapters.registry import adapter_get, adapter_name_for
from maas.bookings.models import Booking, BookingLeg, BookingState, LegKind
from maas.bookings.services.errors import BookingError
from maas.bookings.services.pricing import (
    leg_prices_allocate,
    pass_covered_legs,
    platform_fee,
    platform_fee_basis_points,
)
from maas.bookings.tickets import ticket_sign
from maas.platform.services import booking_event_record
from maas.trips.models import Offer
from maas.trips.selectors import offer_get_for_booking
from maas.wallet.services import InsufficientFunds, PaymentLine, payment_capture
from operators.models import Operator

logger = logging.getLogger(__name__)

_OPEN = (BookingState.NEW, BookingState.PENDING)


@dataclass
class _PlannedLeg:
    kind: str
    itinerary_leg: int | None
    mode: str
    operator: Operator
    detail: dict[str, Any]
    price: int
    single_use: bool
    departure_at: dt.datetime | None
    valid_from: dt.datetime
    valid_until: dt.datetime


def _operator(slug: str | None) -> Operator:
    operator = Operator.objects.filter(slug=slug or "").first()
    if operator is None:
        raise BookingError(
            "operator_unknown",
            f"The offer names an operator that is not known here ({slug!r}).",
            details={"operator": slug},
        )
    return operator


def _add_ons_pick(offer: Offer, add_on_ids: list[str]) -> list[dict[str, Any]]:
    if len(set(add_on_ids)) != len(add_on_ids):
        raise BookingError(
            "duplicate_add_on", "An add-on may be chosen once.", status=400, details={}
        )
    by_id = {str(a.get("id")): a for a in offer.add_ons or []}
    unknown = [i for i in add_on_ids if i not in by_id]
    if unknown:
        raise BookingError(
            "unknown_add_on",
            f"The offer has no add-on {unknown[0]!r}.",
            status=400,
            details={"add_on_ids": unknown, "available": sorted(by_id)},
        )
    return [by_id[i] for i in add_on_ids]


def _legs_plan(offer: Offer, add_ons: list[dict[str, Any]]) -> list[_PlannedLeg]:
    shares = leg_prices_allocate(breakdown=offer.price_breakdown or [])
    passes = pass_covered_legs(breakdown=offer.price_breakdown or [])
    margin = dt.timedelta(seconds=settings.TICKET_VALIDITY_MARGIN_S)
    planned: list[_PlannedLeg] = []
    for index, leg in enumerate((offer.itinerary or {}).get("legs") or []):
        if leg.get("mode") == "walk":
            continue
        departure = dt.datetime.fromisoformat(leg["departure"])
        arrival = dt.datetime.fromisoformat(leg["arrival"])
        planned.append(
            _PlannedLeg(
                kind=LegKind.LEG,
                itinerary_leg=index,
                mode=str(leg.get("mode")),
                operator=_operator(leg.get("operator")),
                detail=leg,
                price=shares.pop(index, 0),
                single_use=index not in passes,
                departure_at=departure,
                valid_from=departure - margin,
                valid_until=arrival + margin,
            )
        )
    if sum(shares.values()):
        # A price on a leg we do not book (never expected): refuse rather than mis-charge.
        raise BookingError("offer_not_bookable", "The offer's price does not match its legs.")
    for add_on in add_ons:
        operator = _operator(str(add_on.get("id", "")).split(":", 1)[0])
        price = add_on.get("price") or {}
        if price.get("currency") != offer.currency:
            raise BookingError(
                "mixed_currencies",
                "An add-on is priced in another currency than the trip.",
                details={"add_on": add_on.get("id")},
            )
        day = dt.date.fromisoformat(str(add_on["valid_on"]))
        start = dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(operator.time_zone))
        planned.append(
            _PlannedLeg(
                kind=LegKind.ADD_ON,
                itinerary_leg=None,
                mode=str(add_on.get("kind") or "attraction_ticket"),
                operator=operator,
                detail=add_on,
                price=int(price.get("amount") or 0),
                single_use=True,
                departure_at=None,
                valid_from=start,
                valid_until=start + dt.timedelta(days=1),
            )
        )
    return planned


def booking_create(
    *, user: Any, offer_id: str, add_on_ids: list[str], now: dt.datetime | None = None
) -> Booking:
    """Book the offer: hold every leg, then commit all and charge the wallet exactly the
    offer's frozen price plus the chosen add-ons' frozen prices. Raises OfferUnavailable
    (404 / 409 `offer_expired` / `offer_not_priced`) or BookingError (`offer_already_booked`,
    `unknown_add_on`, `insufficient_funds` (402), `booking_rejected`, ...); a refused
    booking is left REJECTED with nothing held and nothing charged."""
    now = now or timezone.now()
    offer = offer_get_for_booking(offer_id=offer_id, user=user, now=now)
    if offer.currency != settings.WALLET_CURRENCY:
        raise BookingError(
            "currency_not_supported",
            f"The wallet pays in {settings.WALLET_CURRENCY}; this offer is priced in "
            f"{offer.currency}.",
            details={"currency": offer.currency},
        )
    add_ons = _add_ons_pick(offer, add_on_ids)
    planned = _legs_plan(offer, add_ons)
    total = int(offer.price_amount or 0) + sum(p.price for p in planned if p.kind == "add_on")
    fee_bp: dict[int, int] = {}
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                owner=user,
                offer=offer,
                state=BookingState.NEW,
                price_amount=total,
                currency=offer.currency,
                add_on_ids=list(add_on_ids),
                expires_at=now + dt.timedelta(seconds=settings.BOOKING_HOLD_S),
            )
            for position, p in enumerate(planned):
                if p.operator.pk not in fee_bp:
                    fee_bp[p.operator.pk] = platform_fee_basis_points(operator=p.operator)
                BookingLeg.objects.create(
                    booking=booking,
                    position=position,
                    kind=p.kind,
                    itinerary_leg=p.itinerary_leg,
                    mode=p.mode,
                    operator=p.operator,
                    adapter=adapter_name_for(operator=p.operator, mode=p.mode),
                    detail=p.detail,
                    price_amount=p.price,
                    platform_fee=platform_fee(amount=p.price, basis_points=fee_bp[p.operator.pk]),
                    departure_at=p.departure_at,
                    valid_from=p.valid_from,
                    valid_until=p.valid_until,
                    single_use=p.single_use,
                )
            booking_event_record(booking=booking, state=BookingState.NEW, occurred_at=now)
    except IntegrityError:
        raise BookingError(
            "offer_already_booked",
            "This offer is already booked; ask for a new offer.",
            details={"offer_id": str(offer.pk)},
        ) from None
    _holds_place(booking=booking)
    _commit(booking=booking)
    booking.refresh_from_db()
    return booking


def _reject(booking: Booking, failure: dict[str, Any]) -> None:
    """Release every leg still held and mark the booking REJECTED."""
    legs_release(booking=booking)
    with transaction.atomic():
        if Booking.objects.filter(pk=booking.pk, state__in=_OPEN).update(
            state=BookingState.REJECTED, failure=failure, expires_at=None, updated_at=timezone.now()
        ):
            booking.refresh_from_db()
            booking_event_record(booking=booking, state=BookingState.REJECTED)
    logger.info("booking rejected", extra={"booking": str(booking.pk), "code": failure.get("code")})


def _holds_place(*, booking: Booking) -> None:
    with transaction.atomic():
        Booking.objects.filter(pk=booking.pk).update(state=BookingState.PENDING)
        booking_event_record(booking=booking, state=BookingState.PENDING)
    assert booking.expires_at is not None  # noqa: S101 - set on create
    for leg in booking.legs.select_related("operator").order_by("position"):
        adapter = adapter_get(leg.adapter)
        try:
            hold = adapter.hold(leg=leg, expires_at=booking.expires_at)
        except LegRejected as exc:
            BookingLeg.objects.filter(pk=leg.pk).update(
                state=BookingState.REJECTED, failure={"code": exc.code, "message": exc.message}
            )
            failure = {"code": exc.code, "message": exc.message, "leg": leg.position}
            _reject(booking, failure)
            raise BookingError(
                "booking_rejected",
                f"{leg.operator.slug} could not book leg {leg.position}: {exc.message}",
                details={
                    "booking_id": str(booking.pk),
                    "state": BookingState.REJECTED,
                    "leg": leg.position,
                    "operator": leg.operator.slug,
                    "reason": exc.code,
                },
            ) from exc
        except Exception:
            _reject(booking, {"code": "internal_error", "leg": leg.position})
            raise
        BookingLeg.objects.filter(pk=leg.pk).update(
            state=BookingState.PENDING,
            external_id=hold.external_id,
            hold_expires_at=booking.expires_at,
        )


def _payment_lines(legs: list[BookingLeg]) -> list[PaymentLine]:
    return [
        PaymentLine(
            operator_slug=leg.operator.slug,
            amount=leg.price_amount,
            platform_fee=leg.platform_fee,
            booking_leg_id=leg.pk,
            kind=leg.kind,
        )
        for leg in legs
    ]


def _commit(*, booking: Booking) -> None:
    """Charge the wallet, commit every leg and flip to CONFIRMED in ONE transaction: if any
    of it fails, the charge is rolled back with it and the holds are compensated."""
    try:
        with transaction.atomic():
            locked = Booking.objects.select_for_update().get(pk=booking.pk)
            now = timezone.now()
            if locked.state != BookingState.PENDING or (
                locked.expires_at is not None and locked.expires_at <= now
            ):
                raise LegRejected("hold_expired", "The holds expired before the booking was paid.")
            legs = list(
                BookingLeg.objects.select_for_update()
                .filter(booking=locked)
                .select_related("operator")
                .order_by("position")
            )
            payment = payment_capture(
                user=locked.owner,
                lines=_payment_lines(legs),
                reference=f"booking:{locked.pk}",
                memo=f"Booking {locked.pk}",
                metadata={"booking_id": str(locked.pk), "offer_id": str(locked.offer_id)},
            )
            # The platform's own inventory first, operators' systems last: a refusal there
            # is the likeliest failure and leaves the least to undo.
            for leg in sorted(legs, key=lambda item: item.adapter == "tomp-http"):
                adapter_get(leg.adapter).commit(leg=leg)
            for leg in legs:
                assert leg.valid_from is not None  # noqa: S101 - set on create
                assert leg.valid_until is not None  # noqa: S101
                leg.state = BookingState.CONFIRMED
                leg.hold_expires_at = None
                leg.ticket_code = ticket_sign(
                    leg_id=leg.pk,
                    booking_id=str(locked.pk),
                    operator_slug=leg.operator.slug,
                    valid_from=leg.valid_from,
                    valid_until=leg.valid_until,
                    single_use=leg.single_use,
                )
                leg.save(update_fields=["state", "hold_expires_at", "ticket_code"])
            locked.state = BookingState.CONFIRMED
            locked.paid_amount = sum(leg.price_amount for leg in legs)
            locked.payment_transaction_id = payment.pk
            locked.expires_at = None
            locked.save(
                update_fields=[
                    "state",
                    "paid_amount",
                    "payment_transaction_id",
                    "expires_at",
                    "updated_at",
                ]
            )
            booking_event_record(booking=locked, state=BookingState.CONFIRMED)
    except InsufficientFunds as exc:
        _reject(booking, {"code": "insufficient_funds", "message": exc.message})
        raise BookingError(
            "insufficient_funds",
            f"Not enough money in the wallet: {exc.message}",
            status=402,
            details={
                "booking_id": str(booking.pk),
                "balance": exc.balance,
                "required": exc.required,
                "shortfall": exc.shortfall,
                "currency": exc.currency,
            },
        ) from exc
    except LegRejected as exc:
        _reject(booking, {"code": exc.code, "message": exc.message})
        raise BookingError(
            "booking_rejected",
            f"The booking could not be committed: {exc.message}",
            details={"booking_id": str(booking.pk), "state": "REJECTED", "reason": exc.code},
        ) from exc
    except Exception:
        logger.exception("booking commit failed", extra={"booking": str(booking.pk)})
        _reject(booking, {"code": "internal_error", "message": "The commit failed."})
        raise
    logger.info("booking confirmed", extra={"booking": str(booking.pk)})


def legs_release(*, booking: Booking, state: str = BookingState.RELEASED) -> None:
    """Release every leg of the booking still PENDING (or never held) — each under its row
    lock, so a leg is given back exactly once even when the sweep and a failing request
    compensate at the same time. An operator that cannot be reached is retried later."""
    for leg_id in booking.legs.filter(state__in=_OPEN).values_list("pk", flat=True):
        with transaction.atomic():
            leg = BookingLeg.objects.select_for_update().select_related("operator").get(pk=leg_id)
            if leg.state not in (BookingState.NEW, BookingState.PENDING):
                continue
            if leg.state == BookingState.PENDING:
                try:
                    adapter_get(leg.adapter).release(leg=leg)
                except LegRejected:
                    leg.cancel_pending = True
                    logger.warning(
                        "operator release failed; retried later",
                        extra={"operator": leg.operator.slug, "leg": leg.pk},
                    )
            leg.state = state
            leg.hold_expires_at = None
            leg.save(update_fields=["state", "hold_expires_at", "cancel_pending"])
            booking_event_record(booking=booking, state=state, leg=leg)


def bookings_expire(*, now: dt.datetime | None = None) -> int:
    """NEW/PENDING bookings past expires_at become EXPIRED and their holds are released;
    returns how many. A booking being committed right now is skipped (its row is locked)
    and re-checked by that commit."""
    now = now or timezone.now()
    due = list(
        Booking.objects.filter(state__in=_OPEN, expires_at__lte=now).values_list("pk", flat=True)
    )
    count = 0
    for booking_id in due:
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update(skip_locked=True)
                .filter(pk=booking_id, state__in=_OPEN)
                .first()
            )
            if booking is None:
                continue
            booking.state = BookingState.EXPIRED
            booking.expires_at = None
            booking.save(update_fields=["state", "expires_at", "updated_at"])
            booking_event_record(booking=booking, state=BookingState.EXPIRED, occurred_at=now)
        legs_release(booking=booking, state=BookingState.EXPIRED)
        count += 1
    if count:
        logger.info("bookings expired", extra={"count": count})
    return count


def legs_cancel_retry() -> int:
    """Deliver the operator CANCELs that failed before (operator unreachable)."""
    done = 0
    for leg in BookingLeg.objects.filter(cancel_pending=True).select_related("operator"):
        try:
            adapter_get(leg.adapter).cancel(leg=leg)
        except LegRejected:
            continue
        BookingLeg.objects.filter(pk=leg.pk).update(cancel_pending=False)
        done += 1
    return done
