"""The exact choice between single fares and passes for one itinerary.

Every assignment of each payable leg to "pay singly" or to one pass that covers it is
enumerated (a handful of legs and passes: at most MAX_ASSIGNMENTS combinations); a pass
must be valid for all the legs it is given (its duration from the first one's departure to
the last one's arrival, its calendar days from the first one's local date to the last
one's), and the legs left over are re-priced together with the fare engine (so a transfer
fare among them is kept). The cheapest total wins; fewer undeterminable legs come first,
fewer passes break ties. Pure: no database.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from maas.trips.fares.engine import FareQuote

# Upper bound on enumerated assignments; beyond it the dearest passes are dropped first
# (6 legs x 3 passes each is 4 096).
MAX_ASSIGNMENTS = 20_000


@dataclass(frozen=True)
class PassOption:
    product_id: int
    code: str
    name: str
    owner: str | None  # operator slug; None: a city product
    operators: tuple[str, ...]
    amount: int
    currency: str
    duration_s: int | None
    calendar_days: int | None
    covers: frozenset[int]  # leg indices it may cover (coverage already checked)


@dataclass(frozen=True)
class PayableLeg:
    index: int
    departure_s: int
    arrival_s: int
    departure_day: dt.date  # local dates, for calendar-day passes
    arrival_day: dt.date


@dataclass
class Choice:
    passes: list[tuple[PassOption, tuple[int, ...]]] = field(default_factory=list)
    singles: list[FareQuote] = field(default_factory=list)
    unknown: int = 0
    total: int = 0  # passes + known single fares


def _valid(option: PassOption, legs: list[PayableLeg]) -> bool:
    if option.duration_s is not None:
        span = max(leg.arrival_s for leg in legs) - min(leg.departure_s for leg in legs)
        if span > option.duration_s:
            return False
    if option.calendar_days is not None:
        first = min(leg.departure_day for leg in legs)
        last = max(leg.arrival_day for leg in legs)
        if (last - first).days + 1 > option.calendar_days:
            return False
    return True


def choose(
    legs: list[PayableLeg],
    passes: list[PassOption],
    reprice: Callable[[frozenset[int]], list[FareQuote]],
) -> Choice:
    """The cheapest valid combination of single fares and passes for `legs`."""
    passes = sorted(passes, key=lambda p: (p.amount, p.product_id))

    def choices_of(usable: list[PassOption]) -> list[list[int | None]]:
        return [[None, *[j for j, p in enumerate(usable) if leg.index in p.covers]] for leg in legs]

    options = choices_of(passes)
    while passes and _count(options) > MAX_ASSIGNMENTS:
        passes = passes[:-1]
        options = choices_of(passes)

    priced: dict[frozenset[int], list[FareQuote]] = {}
    best: tuple[tuple[int, int, int], Choice] | None = None
    for assignment in itertools.product(*options):
        by_pass: dict[int, list[PayableLeg]] = {}
        singles: list[int] = []
        for leg, chosen in zip(legs, assignment, strict=True):
            if chosen is None:
                singles.append(leg.index)
            else:
                by_pass.setdefault(chosen, []).append(leg)
        if not all(_valid(passes[j], covered) for j, covered in by_pass.items()):
            continue
        key_legs = frozenset(singles)
        if key_legs not in priced:
            priced[key_legs] = reprice(key_legs)
        quotes = priced[key_legs]
        unknown = sum(1 for q in quotes if not q.known)
        total = sum(passes[j].amount for j in by_pass) + sum(q.amount or 0 for q in quotes)
        key = (unknown, total, len(by_pass))
        if best is None or key < best[0]:
            choice = Choice(
                passes=[
                    (passes[j], tuple(leg.index for leg in covered))
                    for j, covered in sorted(by_pass.items())
                ],
                singles=quotes,
                unknown=unknown,
                total=total,
            )
            best = (key, choice)
    assert best is not None  # noqa: S101 - "everything single" is always valid
    return best[1]


def _count(options: list[list[int | None]]) -> int:
    count = 1
    for leg_options in options:
        count *= len(leg_options)
    return count
