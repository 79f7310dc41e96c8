"""Real parallel payments on PostgreSQL: N threads, each with its own database connection,
pay from one wallet through a barrier. The wallet covers only some of them: exactly
floor(balance / price) succeed, the rest get InsufficientFunds, the balance never goes
negative and the ledger stays balanced."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from maas.accounts.models import User
from maas.wallet.models import Transaction
from maas.wallet.services import (
    InsufficientFunds,
    PaymentLine,
    payment_capture,
    payment_refund,
    wallet_balance,
    wallet_top_up,
)
from operators.models import Operator
from tests.maas.wallet.ledger import assert_ledger_balanced

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL row locks (DATABASE_URL=postgres://...); SQLite serialises "
        "all writers, so a race there proves nothing",
    ),
]

THREADS = 8
PRICE = 300


def race(calls: list[Any]) -> list[tuple[str, Any]]:
    """Run the calls in parallel threads released at the same instant."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def worker(call: Any) -> None:
        try:
            barrier.wait(timeout=30)
            outcome: tuple[str, Any] = ("ok", call().pk)
        except InsufficientFunds as exc:
            outcome = ("insufficient", exc.shortfall)
        except Exception as exc:  # reported, never swallowed
            outcome = ("error", repr(exc))
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_payments_never_overdraw(passenger: User, operator_a: Operator) -> None:
    # given: 1000 covers three payments of 300
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    line = PaymentLine(operator_slug="alpha-bus", amount=PRICE, platform_fee=30)

    def pay(n: int) -> Any:
        return lambda: payment_capture(user=passenger, lines=[line], reference=f"race-{n}")

    # when
    results = race([pay(n) for n in range(THREADS)])
    # then
    kinds = sorted(kind for kind, _ in results)
    assert [r for r in results if r[0] == "error"] == []
    assert kinds == ["insufficient"] * (THREADS - 1000 // PRICE) + ["ok"] * (1000 // PRICE)
    # every loser saw the balance the winners left: 100 short of 300 -> shortfall 200
    assert sorted(value for kind, value in results if kind == "insufficient") == [200] * 5
    assert wallet_balance(user=passenger) == 100
    assert Transaction.objects.filter(kind="payment").count() == 3
    assert_ledger_balanced()


def test_parallel_same_reference_charges_once(passenger: User, operator_a: Operator) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    line = PaymentLine(operator_slug="alpha-bus", amount=PRICE, platform_fee=30)
    # when: a client retrying the same booking payment from several workers at once
    results = race(
        [
            lambda: payment_capture(user=passenger, lines=[line], reference="booking-1")
            for _ in range(THREADS)
        ]
    )
    # then
    assert {kind for kind, _ in results} == {"ok"}
    assert len({pk for _, pk in results}) == 1
    assert wallet_balance(user=passenger) == 700
    assert_ledger_balanced()


def test_parallel_refunds_never_exceed_the_payment(passenger: User, operator_a: Operator) -> None:
    # given: a 300 payment, and 8 parallel refunds of 100 each (distinct references)
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    line = PaymentLine(operator_slug="alpha-bus", amount=PRICE, platform_fee=30)
    paid = payment_capture(user=passenger, lines=[line], reference="booking-1")
    part = PaymentLine(operator_slug="alpha-bus", amount=100, platform_fee=10)

    def refund(n: int) -> Any:
        return lambda: payment_refund(payment=paid, lines=[part], reference=f"refund-{n}")

    # when
    results = race([refund(n) for n in range(THREADS)])
    # then
    outcomes = sorted(kind for kind, _ in results)
    assert outcomes.count("ok") == 3
    assert all("RefundExceedsPayment" in str(value) for kind, value in results if kind != "ok")
    assert wallet_balance(user=passenger) == 1000
    assert_ledger_balanced()
