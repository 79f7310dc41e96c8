"""k-anonymity for published counts: small cells are suppressed, and a second cell is
suppressed where a single hidden cell could be recovered from the published total."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    key: str
    count: int | None  # None: suppressed
    suppressed: bool


@dataclass(frozen=True)
class SuppressedTable:
    k: int
    cells: list[Cell]
    total: int | None  # None when the total itself is below k


def suppress_cells(*, counts: dict[str, int], k: int) -> SuppressedTable:
    """Suppress every cell with 0 < count < k. If exactly one cell is suppressed, the
    smallest remaining non-zero cell is suppressed too (complementary suppression), so
    `total - sum(visible)` never reveals a single small cell. Zero cells are not
    sensitive (nobody is in them) and stay visible."""
    hidden = {key for key, count in counts.items() if 0 < count < k}
    if len(hidden) == 1:
        candidates = sorted(
            (count, key) for key, count in counts.items() if key not in hidden and count > 0
        )
        if candidates:
            hidden.add(candidates[0][1])
    total = sum(counts.values())
    cells = [
        Cell(key=key, count=None if key in hidden else count, suppressed=key in hidden)
        for key, count in sorted(counts.items())
    ]
    return SuppressedTable(k=k, cells=cells, total=total if total >= k or total == 0 else None)


def suppress_cells_2d(*, counts: dict[tuple[str, str], int], k: int) -> set[tuple[str, str]]:
    """The cells of a two-way table (row, column) to hide. Primary: every cell with
    0 < count < k. Complementary: in the whole table, in every row and in every column,
    a group with exactly one hidden cell gets its smallest visible non-zero cell hidden
    too; repeated until no group has a lone hidden cell. So neither the grand total nor a
    row or column total (published elsewhere, e.g. boardings per stop) minus the visible
    cells reveals one small cell. A group with no other non-zero cell stays as it is (its
    total is the hidden cell, and group totals are themselves suppressed below k)."""
    hidden = {key for key, count in counts.items() if 0 < count < k}
    groups: list[list[tuple[str, str]]] = [list(counts)]
    for axis in (0, 1):
        by: dict[str, list[tuple[str, str]]] = {}
        for key in counts:
            by.setdefault(key[axis], []).append(key)
        groups.extend(by.values())
    changed = True
    while changed:
        changed = False
        for group in groups:
            if sum(1 for key in group if key in hidden) != 1:
                continue
            candidates = sorted(
                (counts[key], key) for key in group if key not in hidden and counts[key] > 0
            )
            if candidates:
                hidden.add(candidates[0][1])
                changed = True
    return hidden
