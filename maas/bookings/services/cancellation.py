"""Cancelling a confirmed booking: each unused leg is refunded per its operator's
CancellationPolicy, the refund goes back to the wallet (one refund transaction), and each
leg is cancelled with its adapter."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from maas.bookings.adapters.base import LegRejected
from maas.bookings.adapters.registry import adapter_get
from maas.bookings.models import Booking, BookingLeg, BookingState, CancellationPolicy
from maas.bookings.services.errors import BookingError
from maas.platform.services import booking_event_record
from maas.wallet.models import Transaction
from maas.wallet.services import PaymentLine, payment_refund

logger = logging.getLogger(__name__)


def leg_refund_amount(
    *,
    price: int,
    departure_at: dt.datetime | None,
    policy: CancellationPolicy | None,
    now: dt.datetime,
) -> int:
    """What is given back for a leg cancelled at `now`:

    - everything until `departure - free_until_min` (without a policy: until departure);
    - then the price minus the fee (`fee_amount`, else `fee_percent` of the price rounded
      down, else the whole price), never below 0;
    - nothing once the leg has departed.
    An add-on (no departure) is refundable in full until its day is over (checked by the
    caller through the ticket's validity)."""
    if departure_at is None:
        return price
    if now >= departure_at:
        return 0
    free_min = policy.free_until_min if policy is not None else 0
    if now <= departure_at - dt.timedelta(minutes=free_min):
        return price
    if policy is None:
        return 0
    if policy.fee_amount is not None:
        fee = int(policy.fee_amount)
    elif policy.fee_percent is not None:
        fee = price * int(policy.fee_percent) // 100
    else:
        fee = price
    return max(0, price - fee)


def _fee_refund(leg: BookingLeg, refund: int) -> int:
    """The platform-fee part of a refund: the platform keeps its fee only on what the
    operator keeps (proportionally, rounded down), so fee and operator parts stay within
    what was paid."""
    if leg.price_amount <= 0:
        return 0
    kept = leg.price_amount - refund
    return leg.platform_fee - min(leg.platform_fee, kept * leg.platform_fee // leg.price_amount)


def booking_cancel(*, booking: Booking, now: dt.datetime | None = None) -> dict[str, Any]:
    """CANCEL a CONFIRMED or STARTED booking; used tickets are not refunded. Returns
    {"refunded": n}. BookingError 409 `booking_already_cancelled` / `booking_not_cancellable`."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.state == BookingState.CANCELLED:
            raise BookingError(
                "booking_already_cancelled",
                "The booking is already cancelled.",
                details={"booking_id": str(locked.pk), "state": locked.state},
            )
        if locked.state not in (BookingState.CONFIRMED, BookingState.STARTED):
            raise BookingError(
                "booking_not_cancellable",
                f"A {locked.state} booking cannot be cancelled.",
                details={"booking_id": str(locked.pk), "state": locked.state},
            )
        legs = list(
            BookingLeg.objects.select_for_update()
            .filter(booking=locked, state=BookingState.CONFIRMED, used_at__isnull=True)
            .select_related("operator")
            .order_by("position")
        )
        policies = {
            p.operator_id: p
            for p in CancellationPolicy.objects.filter(
                operator_id__in={x.operator_id for x in legs}
            )
        }
        lines: list[PaymentLine] = []
        for leg in legs:
            refund = leg_refund_amount(
                price=leg.price_amount,
                departure_at=leg.departure_at,
                policy=policies.get(leg.operator_id),
                now=now,
            )
            if leg.departure_at is None and leg.valid_until is not None and now >= leg.valid_until:
                refund = 0
            leg.refunded_amount = refund
            if refund > 0:
                lines.append(
                    PaymentLine(
                        operator_slug=leg.operator.slug,
                        amount=refund,
                        platform_fee=_fee_refund(leg, refund),
                        booking_leg_id=leg.pk,
                        kind=leg.kind,
                    )
                )
        if lines:
            assert locked.payment_transaction_id is not None  # noqa: S101 - CONFIRMED = paid
            payment = Transaction.objects.get(pk=locked.payment_transaction_id)
            payment_refund(
                payment=payment,
                lines=lines,
                reference=f"booking:{locked.pk}:cancel",
                memo=f"Cancellation of booking {locked.pk}",
            )
        for leg in legs:
            try:
                adapter_get(leg.adapter).cancel(leg=leg)
            except LegRejected:
                # The refund follows our policy either way; the operator is told later.
                leg.cancel_pending = True
                logger.warning(
                    "operator cancel failed; retried later",
                    extra={"operator": leg.operator.slug, "leg": leg.pk},
                )
            leg.state = BookingState.CANCELLED
            leg.save(update_fields=["state", "refunded_amount", "cancel_pending"])
        refunded = sum(line.amount for line in lines)
        locked.state = BookingState.CANCELLED
        locked.refunded_amount = refunded
        locked.save(update_fields=["state", "refunded_amount", "updated_at"])
        booking_event_record(booking=locked, state=BookingState.CANCELLED, occurred_at=now)
    logger.info("booking cancelled", extra={"booking": str(locked.pk), "refunded": refunded})
    return {"refunded": refunded}
