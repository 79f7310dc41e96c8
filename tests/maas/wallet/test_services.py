"""Wallet services: exact entries per account for top-ups, payments and refunds; refusals
write nothing; references are idempotent; the ledger stays balanced."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from maas.accounts.models import User
from maas.wallet.methods import (
    PaymentDeclined,
    TopUpConfirmation,
    TopUpRequest,
    payment_method_register,
    payment_method_unregister,
)
from maas.wallet.models import Account, AccountKind, Entry, Transaction
from maas.wallet.services import (
    InsufficientFunds,
    InvalidAmount,
    InvalidPaymentLines,
    PaymentLine,
    PaymentMethodUnavailable,
    ReferenceConflict,
    RefundExceedsPayment,
    UnknownOperator,
    payment_capture,
    payment_refund,
    wallet_balance,
    wallet_get_or_create,
    wallet_top_up,
)
from operators.models import Operator
from tests.maas.wallet.ledger import assert_ledger_balanced

pytestmark = pytest.mark.django_db


def entries_of(txn: Transaction) -> list[tuple[str, str, int, int, int | None, str]]:
    """(account kind, owner, amount, platform_fee, leg, line kind) in entry order."""
    rows = []
    for entry in Entry.objects.filter(transaction=txn).select_related(
        "account__user", "account__operator"
    ):
        account = entry.account
        owner = (
            account.user.username
            if account.user
            else account.operator.slug
            if account.operator
            else ""
        )
        rows.append(
            (
                account.kind,
                owner,
                entry.amount,
                entry.platform_fee,
                entry.booking_leg_id,
                entry.line_kind,
            )
        )
    return rows


def balance_of(kind: str, **owner: Any) -> int:
    return sum(Entry.objects.filter(account__kind=kind, **owner).values_list("amount", flat=True))


def two_leg_lines() -> list[PaymentLine]:
    return [
        PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=15, booking_leg_id=11),
        PaymentLine(operator_slug="beta-rail", amount=500, platform_fee=25, booking_leg_id=12),
    ]


# ---------------------------------------------------------------------------- wallet


def test_wallet_is_created_once_and_empty(passenger: User) -> None:
    # when
    first = wallet_get_or_create(user=passenger)
    second = wallet_get_or_create(user=passenger)
    # then
    assert first.pk == second.pk
    assert (first.kind, first.currency, first.balance) == ("passenger_wallet", "JPY", 0)
    assert wallet_balance(user=passenger) == 0


def test_balance_of_user_without_wallet_is_zero_and_creates_nothing(passenger: User) -> None:
    assert wallet_balance(user=passenger) == 0
    assert Account.objects.count() == 0


# ---------------------------------------------------------------------------- top-ups


def test_top_up_moves_cash_into_the_wallet(passenger: User) -> None:
    # when
    txn = wallet_top_up(user=passenger, amount=2000, method="sandbox", reference="t-1")
    # then
    assert (txn.kind, txn.reference, txn.currency, txn.memo) == (
        "top_up",
        "t-1",
        "JPY",
        "Top-up (sandbox)",
    )
    assert txn.metadata == {"method": "sandbox", "provider_reference": "sandbox:t-1"}
    assert entries_of(txn) == [
        ("platform_cash", "", -2000, 0, None, ""),
        ("passenger_wallet", "hanako", 2000, 0, None, ""),
    ]
    assert wallet_balance(user=passenger) == 2000
    assert_ledger_balanced()


def test_top_up_repeated_reference_returns_first_unchanged(passenger: User) -> None:
    # given
    first = wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    # when
    again = wallet_top_up(user=passenger, amount=9999, method="sandbox", reference="t-1")
    # then
    assert again.pk == first.pk
    assert Transaction.objects.count() == 1
    assert Entry.objects.count() == 2
    assert wallet_balance(user=passenger) == 1000
    assert_ledger_balanced()


def test_top_up_reference_of_another_user_is_a_conflict(passenger: User, make_user: Any) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    other = make_user(username="taro")
    # when / then
    with pytest.raises(ReferenceConflict):
        wallet_top_up(user=other, amount=1000, method="sandbox", reference="t-1")
    assert wallet_balance(user=other) == 0
    assert_ledger_balanced()


@pytest.mark.parametrize("amount", [0, -5, 50_001, 10.5, True])
def test_top_up_bad_amount_writes_nothing(passenger: User, amount: Any) -> None:
    # when / then
    with pytest.raises(InvalidAmount) as caught:
        wallet_top_up(user=passenger, amount=amount, method="sandbox", reference="t-1")
    assert caught.value.details == {"minimum": 1, "maximum": 50_000, "currency": "JPY"}
    assert (Account.objects.count(), Transaction.objects.count()) == (0, 0)


def test_top_up_at_the_maximum_is_accepted(passenger: User) -> None:
    wallet_top_up(user=passenger, amount=50_000, method="sandbox", reference="t-max")
    assert wallet_balance(user=passenger) == 50_000
    assert_ledger_balanced()


def test_sandbox_disabled_is_unavailable(passenger: User, settings: Any) -> None:
    # given
    settings.WALLET_SANDBOX_ENABLED = False
    # when / then
    with pytest.raises(PaymentMethodUnavailable):
        wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    with pytest.raises(PaymentMethodUnavailable):
        wallet_top_up(user=passenger, amount=1000, method="card", reference="t-2")
    assert (Account.objects.count(), Transaction.objects.count()) == (0, 0)


def test_registered_method_confirms_before_recording(passenger: User) -> None:
    # given: a provider that declines amounts over 3000
    seen: list[TopUpRequest] = []

    def confirm(request: TopUpRequest) -> TopUpConfirmation:
        seen.append(request)
        if request.amount > 3000:
            raise PaymentDeclined("limit")
        return TopUpConfirmation(provider_reference=f"card-{len(seen)}")

    payment_method_register(name="card", confirm=confirm)
    try:
        # when
        txn = wallet_top_up(user=passenger, amount=3000, method="card", reference="c-1")
        with pytest.raises(PaymentDeclined):
            wallet_top_up(user=passenger, amount=3001, method="card", reference="c-2")
    finally:
        payment_method_unregister(name="card")
    # then
    assert seen == [
        TopUpRequest(user_id=passenger.pk, amount=3000, currency="JPY", reference="c-1"),
        TopUpRequest(user_id=passenger.pk, amount=3001, currency="JPY", reference="c-2"),
    ]
    assert txn.metadata == {"method": "card", "provider_reference": "card-1"}
    assert wallet_balance(user=passenger) == 3000
    assert list(Transaction.objects.values_list("reference", flat=True)) == ["c-1"]
    assert_ledger_balanced()


# ---------------------------------------------------------------------------- payments


def test_capture_debits_wallet_and_credits_operators_and_fee(
    passenger: User, operator_a: Operator, operator_b: Operator
) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    # when
    txn = payment_capture(
        user=passenger,
        lines=two_leg_lines(),
        reference="booking-7",
        memo="Booking 7",
        metadata={"booking_id": 7},
    )
    # then
    assert (txn.kind, txn.reference, txn.memo, txn.metadata) == (
        "payment",
        "booking-7",
        "Booking 7",
        {"booking_id": 7},
    )
    assert entries_of(txn) == [
        ("passenger_wallet", "hanako", -800, 0, None, ""),
        ("operator_payable", "alpha-bus", 285, 15, 11, "leg"),
        ("platform_fee", "", 15, 0, 11, "leg"),
        ("operator_payable", "beta-rail", 475, 25, 12, "leg"),
        ("platform_fee", "", 25, 0, 12, "leg"),
    ]
    assert wallet_balance(user=passenger) == 200
    assert balance_of("operator_payable", account__operator=operator_a) == 285
    assert balance_of("operator_payable", account__operator=operator_b) == 475
    assert balance_of("platform_fee") == 40
    assert balance_of("platform_cash") == -1000
    assert_ledger_balanced()


def test_capture_with_exactly_the_balance_leaves_zero(
    passenger: User, operator_a: Operator
) -> None:
    wallet_top_up(user=passenger, amount=300, method="sandbox", reference="t-1")
    payment_capture(
        user=passenger,
        lines=[PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=0)],
        reference="p-1",
    )
    assert wallet_balance(user=passenger) == 0
    assert_ledger_balanced()


def test_insufficient_funds_writes_nothing(
    passenger: User, operator_a: Operator, operator_b: Operator
) -> None:
    # given
    wallet_top_up(user=passenger, amount=700, method="sandbox", reference="t-1")
    accounts_before = list(Account.objects.values_list("id", "balance"))
    # when
    with pytest.raises(InsufficientFunds) as caught:
        payment_capture(user=passenger, lines=two_leg_lines(), reference="booking-7")
    # then
    error = caught.value
    assert (error.balance, error.required, error.shortfall, error.currency) == (
        700,
        800,
        100,
        "JPY",
    )
    assert error.code == "insufficient_funds"
    assert list(Account.objects.values_list("id", "balance")) == accounts_before
    assert list(Transaction.objects.values_list("kind", flat=True)) == ["top_up"]
    assert Entry.objects.count() == 2
    assert wallet_balance(user=passenger) == 700
    assert_ledger_balanced()


def test_insufficient_funds_without_wallet_creates_no_wallet(
    passenger: User, operator_a: Operator
) -> None:
    with pytest.raises(InsufficientFunds):
        payment_capture(
            user=passenger,
            lines=[PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=0)],
            reference="p-1",
        )
    assert (Account.objects.count(), Transaction.objects.count()) == (0, 0)


def test_capture_inside_callers_transaction_rolls_back_with_it(
    passenger: User, operator_a: Operator
) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")

    # when: the caller's work fails after the payment (e.g. a leg commit fails)
    class LegCommitFailed(Exception):
        pass

    def book() -> None:
        with transaction.atomic():
            payment_capture(
                user=passenger,
                lines=[PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=0)],
                reference="p-1",
            )
            raise LegCommitFailed

    with pytest.raises(LegCommitFailed):
        book()
    # then
    assert wallet_balance(user=passenger) == 1000
    assert list(Transaction.objects.values_list("kind", flat=True)) == ["top_up"]
    assert_ledger_balanced()


def test_insufficient_funds_inside_callers_transaction_keeps_callers_work(
    passenger: User, operator_a: Operator
) -> None:
    # given
    wallet_top_up(user=passenger, amount=100, method="sandbox", reference="t-1")
    # when: the caller catches the refusal and carries on in the same transaction
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            payment_capture(
                user=passenger,
                lines=[PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=0)],
                reference="p-1",
            )
        wallet_top_up(user=passenger, amount=500, method="sandbox", reference="t-2")
    # then
    assert wallet_balance(user=passenger) == 600
    assert_ledger_balanced()


def test_capture_repeated_reference_returns_first_and_charges_once(
    passenger: User, operator_a: Operator
) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    line = PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=15)
    first = payment_capture(user=passenger, lines=[line], reference="booking-7")
    # when
    again = payment_capture(user=passenger, lines=[line, line], reference="booking-7")
    # then
    assert again.pk == first.pk
    assert wallet_balance(user=passenger) == 700
    assert Transaction.objects.filter(kind="payment").count() == 1
    assert_ledger_balanced()


def test_capture_refuses_bad_lines_and_unknown_operator(
    passenger: User, operator_a: Operator
) -> None:
    # given
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    bad_lines: list[list[PaymentLine]] = [
        [],
        [PaymentLine(operator_slug="alpha-bus", amount=-1, platform_fee=0)],
        [PaymentLine(operator_slug="alpha-bus", amount=100, platform_fee=101)],
        [PaymentLine(operator_slug="alpha-bus", amount=100, platform_fee=-1)],
    ]
    # when / then
    for lines in bad_lines:
        with pytest.raises(InvalidPaymentLines):
            payment_capture(user=passenger, lines=lines, reference="p-1")
    with pytest.raises(UnknownOperator):
        payment_capture(
            user=passenger,
            lines=[PaymentLine(operator_slug="nobody", amount=100, platform_fee=0)],
            reference="p-1",
        )
    assert list(Transaction.objects.values_list("kind", flat=True)) == ["top_up"]
    assert wallet_balance(user=passenger) == 1000
    assert_ledger_balanced()


def test_database_refuses_a_negative_wallet_balance(passenger: User) -> None:
    # given
    wallet = wallet_get_or_create(user=passenger)
    # when / then: even code that bypasses the services cannot overdraw
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance=-1)
    wallet.refresh_from_db()
    assert wallet.balance == 0


# ---------------------------------------------------------------------------- refunds


@pytest.fixture
def paid(passenger: User, operator_a: Operator, operator_b: Operator) -> Transaction:
    wallet_top_up(user=passenger, amount=1000, method="sandbox", reference="t-1")
    return payment_capture(
        user=passenger,
        lines=two_leg_lines(),
        reference="booking-7",
        metadata={"booking_id": 7},
    )


def test_full_refund_reverses_every_entry(
    passenger: User, paid: Transaction, operator_a: Operator, operator_b: Operator
) -> None:
    # when
    refund = payment_refund(
        payment=paid, lines=two_leg_lines(), reference="cancel-7", memo="Cancelled"
    )
    # then
    assert (refund.kind, refund.refund_of_id, refund.memo, refund.metadata) == (
        "refund",
        paid.pk,
        "Cancelled",
        {"booking_id": 7},
    )
    assert entries_of(refund) == [
        ("passenger_wallet", "hanako", 800, 0, None, ""),
        ("operator_payable", "alpha-bus", -285, -15, 11, "leg"),
        ("platform_fee", "", -15, 0, 11, "leg"),
        ("operator_payable", "beta-rail", -475, -25, 12, "leg"),
        ("platform_fee", "", -25, 0, 12, "leg"),
    ]
    assert wallet_balance(user=passenger) == 1000
    assert balance_of("operator_payable", account__operator=operator_a) == 0
    assert balance_of("operator_payable", account__operator=operator_b) == 0
    assert balance_of("platform_fee") == 0
    assert_ledger_balanced()


def test_partial_refund_with_cancellation_fee(
    passenger: User, paid: Transaction, operator_a: Operator
) -> None:
    # given: alpha-bus keeps a 100 cancellation fee; the platform returns its fee in full
    # when
    refund = payment_refund(
        payment=paid,
        lines=[
            PaymentLine(operator_slug="alpha-bus", amount=200, platform_fee=15, booking_leg_id=11)
        ],
        reference="cancel-7-leg-11",
    )
    # then
    assert entries_of(refund) == [
        ("passenger_wallet", "hanako", 200, 0, None, ""),
        ("operator_payable", "alpha-bus", -185, -15, 11, "leg"),
        ("platform_fee", "", -15, 0, 11, "leg"),
    ]
    assert wallet_balance(user=passenger) == 400
    assert balance_of("operator_payable", account__operator=operator_a) == 100
    assert balance_of("platform_fee") == 25
    assert_ledger_balanced()


def test_refund_more_than_paid_is_refused(passenger: User, paid: Transaction) -> None:
    # given: 200 of alpha-bus's 300 already refunded
    payment_refund(
        payment=paid,
        lines=[
            PaymentLine(operator_slug="alpha-bus", amount=200, platform_fee=10, booking_leg_id=11)
        ],
        reference="r-1",
    )
    too_much = [
        # gross: 200 + 101 > 300
        PaymentLine(operator_slug="alpha-bus", amount=101, platform_fee=0, booking_leg_id=11),
        # fee: 10 + 6 > 15
        PaymentLine(operator_slug="alpha-bus", amount=50, platform_fee=6, booking_leg_id=11),
        # a line that was never paid
        PaymentLine(operator_slug="alpha-bus", amount=1, platform_fee=0, booking_leg_id=99),
        PaymentLine(operator_slug="beta-rail", amount=1, platform_fee=0, booking_leg_id=11),
        # operator part: the platform keeps its fee, so the operator would return 300 > 285
        PaymentLine(operator_slug="beta-rail", amount=500, platform_fee=0, booking_leg_id=12),
    ]
    # when / then
    for line in too_much:
        with pytest.raises(RefundExceedsPayment):
            payment_refund(payment=paid, lines=[line], reference="r-2")
    # then: the same line twice in one refund is summed
    line = PaymentLine(operator_slug="beta-rail", amount=300, platform_fee=0, booking_leg_id=12)
    with pytest.raises(RefundExceedsPayment) as caught:
        payment_refund(payment=paid, lines=[line, line], reference="r-2")
    assert caught.value.details == {
        "operator_slug": "beta-rail",
        "booking_leg_id": 12,
        "kind": "leg",
        "paid": 500,
        "paid_fee": 25,
        "refunded": 0,
        "refunded_fee": 0,
        "requested": 600,
        "requested_fee": 0,
    }
    assert list(Transaction.objects.values_list("reference", flat=True)) == [
        "t-1",
        "booking-7",
        "r-1",
    ]
    assert wallet_balance(user=passenger) == 400
    assert_ledger_balanced()


def test_refund_repeated_reference_returns_first(passenger: User, paid: Transaction) -> None:
    # given
    line = PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=15, booking_leg_id=11)
    first = payment_refund(payment=paid, lines=[line], reference="r-1")
    # when
    again = payment_refund(payment=paid, lines=[line], reference="r-1")
    # then
    assert again.pk == first.pk
    assert wallet_balance(user=passenger) == 500
    assert Transaction.objects.filter(kind="refund").count() == 1
    assert_ledger_balanced()


def test_refund_refuses_non_payment_and_zero(passenger: User, paid: Transaction) -> None:
    top_up = Transaction.objects.get(reference="t-1")
    line = PaymentLine(operator_slug="alpha-bus", amount=300, platform_fee=15, booking_leg_id=11)
    with pytest.raises(InvalidPaymentLines):
        payment_refund(payment=top_up, lines=[line], reference="r-1")
    zero = PaymentLine(operator_slug="alpha-bus", amount=0, platform_fee=0, booking_leg_id=11)
    with pytest.raises(InvalidAmount):
        payment_refund(payment=paid, lines=[zero], reference="r-1")
    assert Transaction.objects.filter(kind="refund").count() == 0
    assert_ledger_balanced()


def test_wallet_account_kinds(paid: Transaction) -> None:
    assert sorted(Account.objects.values_list("kind", flat=True)) == sorted(
        [
            AccountKind.PASSENGER_WALLET,
            AccountKind.PLATFORM_CASH,
            AccountKind.PLATFORM_FEE,
            AccountKind.OPERATOR_PAYABLE,
            AccountKind.OPERATOR_PAYABLE,
        ]
    )
