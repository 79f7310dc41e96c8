"""`assert_ledger_balanced()`: call it at the end of every test that moves money.

    from tests.maas.wallet.ledger import assert_ledger_balanced
    ...
    assert_ledger_balanced()

or use the `ledger_balanced` fixture (tests/maas/wallet/conftest.py), which checks after the
test body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from maas.wallet.selectors import ledger_discrepancies


def assert_ledger_balanced() -> None:
    """All entries sum to zero, every transaction's entries sum to zero, and each wallet's
    stored balance equals the sum of its entries and is not negative."""
    problems = ledger_discrepancies()
    assert problems == [], "ledger not balanced:\n" + "\n".join(problems)


@pytest.fixture
def ledger_balanced() -> Iterator[None]:
    yield
    assert_ledger_balanced()
