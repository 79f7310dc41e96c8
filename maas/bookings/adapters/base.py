"""The adapter interface every way of booking a leg implements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from maas.bookings.models import BookingLeg


class LegRejected(Exception):
    """The operator (or the platform's own inventory) refused the leg. `code` is the
    reason given to the passenger: `no_capacity`, `operator_rejected`,
    `operator_unavailable` (timeout, connection error, 5xx), `hold_expired`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Hold:
    external_id: str = ""  # the operator's id of the hold ("" when nothing is held)


class LegAdapter(Protocol):
    """Two-phase booking of one leg. `hold` reserves (PENDING) until `expires_at`;
    `commit` makes it final and may run inside the booking's database transaction;
    `release` frees a hold and `cancel` a committed leg — both are idempotent because
    compensation may run twice."""

    name: str
    single_use: bool  # whether the leg's ticket is valid for one validation only

    def hold(self, *, leg: BookingLeg, expires_at: dt.datetime) -> Hold: ...

    def commit(self, *, leg: BookingLeg) -> None: ...

    def release(self, *, leg: BookingLeg) -> None: ...

    def cancel(self, *, leg: BookingLeg) -> None: ...
