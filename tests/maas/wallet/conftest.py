from __future__ import annotations

from typing import Any

import pytest

from operators.models import Operator
from tests.factories import OperatorFactory
from tests.maas.wallet.ledger import ledger_balanced

__all__ = ["ledger_balanced"]


@pytest.fixture(autouse=True)
def _wallet_settings(settings: Any) -> None:
    # Explicit, whatever DJANGO_DEBUG the run uses.
    settings.WALLET_CURRENCY = "JPY"
    settings.WALLET_SANDBOX_ENABLED = True
    settings.WALLET_TOP_UP_MAX = 50_000


@pytest.fixture
def operator_c(db: None) -> Operator:
    return OperatorFactory.create(slug="gamma-bike", name_ja="ガンマ", modes=["bike"])
