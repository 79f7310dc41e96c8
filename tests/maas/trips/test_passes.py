"""The exact single-fare / pass choice (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from maas.trips.fares.engine import FareQuote
from maas.trips.fares.passes import PassOption, PayableLeg, choose

DAY = dt.date(2026, 12, 1)


def legs(*spans: tuple[int, int]) -> list[PayableLeg]:
    return [PayableLeg(i, dep, arr, DAY, DAY) for i, (dep, arr) in enumerate(spans)]


def singles(prices: dict[int, int | None]) -> Callable[[frozenset[int]], list[FareQuote]]:
    def reprice(indices: frozenset[int]) -> list[FareQuote]:
        return [
            FareQuote(
                (i,),
                prices[i],
                "JPY" if prices[i] is not None else None,
                f"f{i}",
                f"f{i}",
                reason=None if prices[i] is not None else "no_matching_fare",
            )
            for i in sorted(indices)
        ]

    return reprice


def day_pass(amount: int, covers: set[int], *, duration_s: int | None = 86400) -> PassOption:
    return PassOption(
        1, "day", "1日乗車券", "x", ("x",), amount, "JPY", duration_s, None, frozenset(covers)
    )


def test_pass_is_chosen_when_cheaper() -> None:
    # given: three rides of 300 + 300 + 300 and a 800 day pass covering all of them
    choice = choose(
        legs((0, 600), (900, 1500), (3600, 4200)),
        [day_pass(800, {0, 1, 2})],
        singles({0: 300, 1: 300, 2: 300}),
    )
    # then
    assert choice.total == 800
    assert [(p.code, covered) for p, covered in choice.passes] == [("day", (0, 1, 2))]
    assert choice.singles == []


def test_single_fares_kept_when_the_pass_is_dearer() -> None:
    choice = choose(legs((0, 600), (900, 1500)), [day_pass(800, {0, 1})], singles({0: 300, 1: 300}))
    assert (choice.total, choice.passes) == (600, [])


def test_pass_covers_part_and_the_rest_is_paid_singly() -> None:
    # the pass covers only legs 0 and 1 (another operator runs leg 2)
    choice = choose(
        legs((0, 600), (900, 1500), (1800, 2400)),
        [day_pass(500, {0, 1})],
        singles({0: 300, 1: 300, 2: 210}),
    )
    assert choice.total == 710
    assert [q.legs for q in choice.singles] == [(2,)]


def test_pass_duration_limits_what_it_covers() -> None:
    # a 2-hour pass cannot cover rides 3 hours apart: it takes the two dearest within 2 h
    two_hours = day_pass(500, {0, 1, 2}, duration_s=7200)
    choice = choose(
        legs((0, 600), (900, 1500), (10800, 11400)), [two_hours], singles({0: 300, 1: 300, 2: 300})
    )
    assert choice.total == 800
    assert [covered for _, covered in choice.passes] == [(0, 1)]


def test_a_pass_can_price_a_leg_whose_single_fare_is_unknown() -> None:
    choice = choose(legs((0, 600), (900, 1500)), [day_pass(900, {1})], singles({0: 300, 1: None}))
    assert (choice.unknown, choice.total) == (0, 1200)
    without = choose(legs((0, 600), (900, 1500)), [], singles({0: 300, 1: None}))
    assert without.unknown == 1
