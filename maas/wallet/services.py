"""Wallet services: top-ups, payments and refunds, each one balanced ledger transaction.

Rules that hold for every service here:
- Money is integers in minor units of `settings.WALLET_CURRENCY`.
- A passenger wallet never goes negative. Every service that touches a wallet locks its row
  first (`wallet_select_for_update()`), checks, writes the entries and moves the wallet's
  denormalised balance with F() — all in one transaction (a savepoint when the caller
  already has one), and the database CHECK on that balance is the last line of defence.
- Each service is idempotent by `reference` (unique per transaction kind): a retry returns
  the first transaction unchanged; the same reference for another wallet/payment raises
  ReferenceConflict.
- A refusal (a WalletError) writes nothing.

The services may be called inside the caller's `transaction.atomic()` (bookings commits its
legs and the payment together) or standalone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Sum

from maas.accounts.models import User
from maas.wallet.methods import TopUpRequest, payment_method_find
from maas.wallet.models import Account, AccountKind, Entry, Transaction, TransactionKind
from operators.models import Operator

# --------------------------------------------------------------------------- errors


class WalletError(Exception):
    """A domain refusal. `code` is the API error code; nothing was written."""

    code = "wallet_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidAmount(WalletError):
    code = "invalid_amount"


class InvalidPaymentLines(WalletError):
    code = "invalid_payment_lines"


class PaymentMethodUnavailable(WalletError):
    code = "payment_method_unavailable"


class UnknownOperator(WalletError):
    code = "unknown_operator"


class ReferenceConflict(WalletError):
    code = "reference_conflict"


class InsufficientFunds(WalletError):
    code = "insufficient_funds"

    def __init__(self, *, balance: int, required: int, currency: str) -> None:
        self.balance = balance
        self.required = required
        self.shortfall = required - balance
        self.currency = currency
        super().__init__(
            f"The wallet holds {balance} {currency}; {required} {currency} are needed.",
            balance=balance,
            required=required,
            shortfall=self.shortfall,
            currency=currency,
        )


class RefundExceedsPayment(WalletError):
    code = "refund_exceeds_payment"


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class PaymentLine:
    """One priced line of a payment or refund.

    Payment: the passenger pays `amount`; the operator is owed `amount - platform_fee`, the
    platform keeps `platform_fee`. Refund: the passenger gets `amount` back; the operator
    gives back `amount - platform_fee` and the platform `platform_fee` (the fee refunded).
    A refund line matches the payment line with the same (operator_slug, booking_leg_id,
    kind)."""

    operator_slug: str
    amount: int
    platform_fee: int
    booking_leg_id: int | None = None
    kind: str = "leg"

    @property
    def key(self) -> tuple[str, int | None, str]:
        return (self.operator_slug, self.booking_leg_id, self.kind)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _lines_validate(lines: list[PaymentLine]) -> int:
    """The lines' total, or InvalidPaymentLines."""
    if not lines:
        raise InvalidPaymentLines("A payment needs at least one line.")
    for index, line in enumerate(lines):
        if not (_is_int(line.amount) and _is_int(line.platform_fee)):
            raise InvalidPaymentLines(
                f"Line {index}: amounts are integers in minor units.", line=index
            )
        if line.amount < 0 or not 0 <= line.platform_fee <= line.amount:
            raise InvalidPaymentLines(
                f"Line {index}: need amount >= 0 and 0 <= platform_fee <= amount.",
                line=index,
            )
    return sum(line.amount for line in lines)


# --------------------------------------------------------------------------- accounts


def _currency() -> str:
    return str(settings.WALLET_CURRENCY)


def wallet_select_for_update() -> QuerySet[Account]:
    """Passenger wallets, locked (SELECT ... FOR UPDATE) until the transaction ends. Every
    write to a wallet goes through this lock, so concurrent payments queue on the row and
    each sees the balance the previous one left."""
    return Account.objects.filter(kind=AccountKind.PASSENGER_WALLET).select_for_update()


def wallet_get_or_create(*, user: User) -> Account:
    """The user's wallet in WALLET_CURRENCY (created empty on first use)."""
    account, _ = Account.objects.get_or_create(
        kind=AccountKind.PASSENGER_WALLET,
        user=user,
        currency=_currency(),
        defaults={"balance": 0},
    )
    return account


def wallet_balance(*, user: User) -> int:
    """The wallet's balance in minor units (0 for a user who never had one)."""
    balance = (
        Account.objects.filter(kind=AccountKind.PASSENGER_WALLET, user=user, currency=_currency())
        .values_list("balance", flat=True)
        .first()
    )
    return int(balance or 0)


def _wallet_lock(*, user: User) -> Account:
    wallet = wallet_get_or_create(user=user)
    return wallet_select_for_update().get(pk=wallet.pk)


def _operator_payable(*, operator_slug: str, cache: dict[str, Account]) -> Account:
    if operator_slug not in cache:
        operator = Operator.objects.filter(slug=operator_slug).first()
        if operator is None:
            raise UnknownOperator(f"No operator {operator_slug!r}.", operator=operator_slug)
        cache[operator_slug], _ = Account.objects.get_or_create(
            kind=AccountKind.OPERATOR_PAYABLE, operator=operator, currency=_currency()
        )
    return cache[operator_slug]


def _platform_account(kind: AccountKind) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, currency=_currency())
    return account


def _transaction_find(*, kind: str, reference: str) -> Transaction | None:
    return Transaction.objects.filter(kind=kind, reference=reference).first()


def _wallet_entry_owner(txn: Transaction) -> int | None:
    return (
        Entry.objects.filter(transaction=txn, account__kind=AccountKind.PASSENGER_WALLET)
        .values_list("account__user_id", flat=True)
        .first()
    )


def _replay_for_user(txn: Transaction, *, user: User) -> Transaction:
    """A repeated reference: the first transaction, if it was for this user's wallet."""
    owner = _wallet_entry_owner(txn)
    if owner is not None and owner != user.pk:
        raise ReferenceConflict(
            f"Reference {txn.reference!r} was used for another wallet.", reference=txn.reference
        )
    return txn


def _wallet_move(wallet: Account, delta: int) -> None:
    if delta:
        Account.objects.filter(pk=wallet.pk).update(balance=F("balance") + delta)


# --------------------------------------------------------------------------- top-ups


def wallet_top_up(*, user: User, amount: int, method: str, reference: str) -> Transaction:
    """Money in: the method confirms the payment, then platform_cash -> the wallet.

    Refused (nothing written): amount not an integer in 1..WALLET_TOP_UP_MAX
    (InvalidAmount), an unknown or disabled method (PaymentMethodUnavailable), a declined
    payment (methods.PaymentDeclined)."""
    existing = _transaction_find(kind=TransactionKind.TOP_UP, reference=reference)
    if existing is not None:
        return _replay_for_user(existing, user=user)
    limit = int(settings.WALLET_TOP_UP_MAX)
    if not _is_int(amount) or not 0 < amount <= limit:
        raise InvalidAmount(
            f"A top-up is between 1 and {limit} {_currency()}.",
            minimum=1,
            maximum=limit,
            currency=_currency(),
        )
    confirm = payment_method_find(name=method)
    if confirm is None:
        raise PaymentMethodUnavailable(
            f"Payment method {method!r} is not available.", method=method
        )
    confirmation = confirm(
        TopUpRequest(user_id=user.pk, amount=amount, currency=_currency(), reference=reference)
    )
    try:
        with transaction.atomic():
            wallet = _wallet_lock(user=user)
            existing = _transaction_find(kind=TransactionKind.TOP_UP, reference=reference)
            if existing is not None:
                return _replay_for_user(existing, user=user)
            txn = Transaction.objects.create(
                kind=TransactionKind.TOP_UP,
                reference=reference,
                currency=_currency(),
                memo=f"Top-up ({method})",
                metadata={
                    "method": method,
                    "provider_reference": confirmation.provider_reference,
                },
            )
            Entry.objects.bulk_create(
                [
                    Entry(
                        transaction=txn,
                        account=_platform_account(AccountKind.PLATFORM_CASH),
                        amount=-amount,
                    ),
                    Entry(transaction=txn, account=wallet, amount=amount),
                ]
            )
            _wallet_move(wallet, amount)
    except IntegrityError:
        # A concurrent call with the same reference committed first.
        existing = _transaction_find(kind=TransactionKind.TOP_UP, reference=reference)
        if existing is None:
            raise
        return _replay_for_user(existing, user=user)
    return txn


# --------------------------------------------------------------------------- payments


def payment_capture(
    *,
    user: User,
    lines: list[PaymentLine],
    reference: str,
    memo: str = "",
    metadata: dict[str, Any] | None = None,
) -> Transaction:
    """Pay the lines from the user's wallet: wallet -sum(amount); each operator's payable
    +(amount - platform_fee); platform_fee +platform_fee.

    Refused (nothing written): InvalidPaymentLines, UnknownOperator, InsufficientFunds
    (with the shortfall). Idempotent by reference."""
    total = _lines_validate(lines)
    existing = _transaction_find(kind=TransactionKind.PAYMENT, reference=reference)
    if existing is not None:
        return _replay_for_user(existing, user=user)
    try:
        with transaction.atomic():
            wallet = _wallet_lock(user=user)
            existing = _transaction_find(kind=TransactionKind.PAYMENT, reference=reference)
            if existing is not None:
                return _replay_for_user(existing, user=user)
            balance = int(wallet.balance or 0)
            if balance < total:
                raise InsufficientFunds(balance=balance, required=total, currency=_currency())
            payables: dict[str, Account] = {}
            fee_account = _platform_account(AccountKind.PLATFORM_FEE)
            txn = Transaction.objects.create(
                kind=TransactionKind.PAYMENT,
                reference=reference,
                currency=_currency(),
                memo=memo,
                metadata=metadata or {},
            )
            entries = [Entry(transaction=txn, account=wallet, amount=-total)] if total else []
            for line in lines:
                # The operator's entry is written even when it is 0, so every sold line
                # appears in the operator's settlement.
                entries.append(
                    Entry(
                        transaction=txn,
                        account=_operator_payable(operator_slug=line.operator_slug, cache=payables),
                        amount=line.amount - line.platform_fee,
                        platform_fee=line.platform_fee,
                        booking_leg_id=line.booking_leg_id,
                        line_kind=line.kind,
                    )
                )
                if line.platform_fee:
                    entries.append(
                        Entry(
                            transaction=txn,
                            account=fee_account,
                            amount=line.platform_fee,
                            booking_leg_id=line.booking_leg_id,
                            line_kind=line.kind,
                        )
                    )
            Entry.objects.bulk_create(entries)
            _wallet_move(wallet, -total)
    except IntegrityError:
        existing = _transaction_find(kind=TransactionKind.PAYMENT, reference=reference)
        if existing is None:
            raise
        return _replay_for_user(existing, user=user)
    return txn


def _line_totals(txn_filter: dict[str, Any]) -> dict[tuple[str, int | None, str], list[int]]:
    """(operator, leg, kind) -> [gross, fee] over the operator-payable entries matched."""
    rows = (
        Entry.objects.filter(account__kind=AccountKind.OPERATOR_PAYABLE, **txn_filter)
        .values("account__operator__slug", "booking_leg_id", "line_kind")
        .annotate(net=Sum("amount"), fee=Sum("platform_fee"))
    )
    totals: dict[tuple[str, int | None, str], list[int]] = {}
    for row in rows:
        key = (row["account__operator__slug"], row["booking_leg_id"], row["line_kind"])
        totals[key] = [int(row["net"]) + int(row["fee"]), int(row["fee"])]
    return totals


def payment_refund(
    *, payment: Transaction, lines: list[PaymentLine], reference: str, memo: str = ""
) -> Transaction:
    """Give (part of) a payment back to the passenger's wallet, line by line: the operator's
    payable -(amount - platform_fee), platform_fee -platform_fee, the wallet +amount.

    Per payment line (operator_slug, booking_leg_id, kind), everything refunded so far plus
    this refund may not exceed what was paid — neither in total, nor the fee part, nor the
    operator's part (RefundExceedsPayment). Refunds of one payment queue on the wallet lock,
    so two concurrent refunds cannot together exceed it. Idempotent by reference."""
    if payment.kind != TransactionKind.PAYMENT:
        raise InvalidPaymentLines("Only a payment can be refunded.", transaction=payment.pk)
    total = _lines_validate(lines)
    if total <= 0:
        raise InvalidAmount("A refund moves more than 0.", currency=payment.currency)
    existing = _transaction_find(kind=TransactionKind.REFUND, reference=reference)
    if existing is not None:
        if existing.refund_of_id != payment.pk:
            raise ReferenceConflict(
                f"Reference {reference!r} was used for another refund.", reference=reference
            )
        return existing
    wallet_id = (
        Entry.objects.filter(transaction=payment, account__kind=AccountKind.PASSENGER_WALLET)
        .values_list("account_id", flat=True)
        .first()
    )
    if wallet_id is None:
        raise RefundExceedsPayment("Nothing was paid from a wallet.", transaction=payment.pk)
    try:
        with transaction.atomic():
            wallet = wallet_select_for_update().get(pk=wallet_id)
            existing = _transaction_find(kind=TransactionKind.REFUND, reference=reference)
            if existing is not None:
                if existing.refund_of_id != payment.pk:
                    raise ReferenceConflict(
                        f"Reference {reference!r} was used for another refund.",
                        reference=reference,
                    )
                return existing
            _refund_check(payment=payment, lines=lines)
            payables: dict[str, Account] = {}
            fee_account = _platform_account(AccountKind.PLATFORM_FEE)
            txn = Transaction.objects.create(
                kind=TransactionKind.REFUND,
                reference=reference,
                currency=payment.currency,
                memo=memo,
                metadata=dict(payment.metadata),
                refund_of=payment,
            )
            entries = [Entry(transaction=txn, account=wallet, amount=total)]
            for line in lines:
                entries.append(
                    Entry(
                        transaction=txn,
                        account=_operator_payable(operator_slug=line.operator_slug, cache=payables),
                        amount=-(line.amount - line.platform_fee),
                        platform_fee=-line.platform_fee,
                        booking_leg_id=line.booking_leg_id,
                        line_kind=line.kind,
                    )
                )
                if line.platform_fee:
                    entries.append(
                        Entry(
                            transaction=txn,
                            account=fee_account,
                            amount=-line.platform_fee,
                            booking_leg_id=line.booking_leg_id,
                            line_kind=line.kind,
                        )
                    )
            Entry.objects.bulk_create(entries)
            _wallet_move(wallet, total)
    except IntegrityError:
        existing = _transaction_find(kind=TransactionKind.REFUND, reference=reference)
        if existing is None or existing.refund_of_id != payment.pk:
            raise
        return existing
    return txn


def _refund_check(*, payment: Transaction, lines: list[PaymentLine]) -> None:
    paid = _line_totals({"transaction": payment})
    # Refund entries are negative; flip them to compare with what was paid.
    refunded = {
        key: [-gross, -fee]
        for key, (gross, fee) in _line_totals({"transaction__refund_of": payment}).items()
    }
    requested: dict[tuple[str, int | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        requested[line.key][0] += line.amount
        requested[line.key][1] += line.platform_fee
    for key, (gross, fee) in requested.items():
        paid_gross, paid_fee = paid.get(key, [0, 0])
        done_gross, done_fee = refunded.get(key, [0, 0])
        if (
            done_gross + gross > paid_gross
            or done_fee + fee > paid_fee
            or (done_gross - done_fee) + (gross - fee) > paid_gross - paid_fee
        ):
            operator_slug, booking_leg_id, kind = key
            raise RefundExceedsPayment(
                f"Refund of {gross} (fee {fee}) for {operator_slug} line exceeds what is "
                f"left of the payment: paid {paid_gross} (fee {paid_fee}), already refunded "
                f"{done_gross} (fee {done_fee}).",
                operator_slug=operator_slug,
                booking_leg_id=booking_leg_id,
                kind=kind,
                paid=paid_gross,
                paid_fee=paid_fee,
                refunded=done_gross,
                refunded_fee=done_fee,
                requested=gross,
                requested_fee=fee,
            )
