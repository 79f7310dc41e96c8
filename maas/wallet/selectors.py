"""Ledger reads: balances, the invariant check, a wallet's entries and the per-operator
lines that settlement is built on."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum

from maas.accounts.models import User
from maas.wallet.models import Account, AccountKind, Entry, TransactionKind


def account_balance(*, account: Account) -> int:
    """The sum of the account's entries (authoritative for every kind of account)."""
    return int(Entry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or 0)


def ledger_discrepancies() -> list[str]:
    """What is wrong with the ledger, empty when it is sound: the entries of all
    transactions, and of each, sum to zero, and each wallet's stored balance equals the sum
    of its entries and is not negative."""
    problems: list[str] = []
    total = Entry.objects.aggregate(s=Sum("amount"))["s"] or 0
    if total:
        problems.append(f"all entries sum to {total}, not 0")
    for row in (
        Entry.objects.values("transaction_id")
        .annotate(s=Sum("amount"))
        .exclude(s=0)
        .order_by("transaction_id")
    ):
        problems.append(f"transaction {row['transaction_id']} sums to {row['s']}, not 0")
    wallets = Account.objects.filter(kind=AccountKind.PASSENGER_WALLET).annotate(
        entries_sum=Sum("entries__amount")
    )
    for wallet in wallets.order_by("id"):
        entries_sum = int(wallet.entries_sum or 0)
        if wallet.balance != entries_sum:
            problems.append(
                f"wallet {wallet.pk} stores balance {wallet.balance}, entries sum {entries_sum}"
            )
        if entries_sum < 0:
            problems.append(f"wallet {wallet.pk} is negative: {entries_sum}")
    return problems


def ledger_is_balanced() -> bool:
    """All entries sum to zero, and so do each transaction's (plus the wallet checks of
    `ledger_discrepancies`)."""
    return not ledger_discrepancies()


def wallet_entries(*, user: User, before_id: int | None = None, limit: int = 50) -> list[Entry]:
    """The user's wallet entries, newest first (with their transaction); `before_id` pages
    back from an entry id."""
    entries: QuerySet[Entry] = Entry.objects.filter(
        account__kind=AccountKind.PASSENGER_WALLET,
        account__user=user,
        account__currency=settings.WALLET_CURRENCY,
    ).select_related("transaction", "account")
    if before_id is not None:
        entries = entries.filter(id__lt=before_id)
    return list(entries.order_by("-id")[:limit])


@dataclass(frozen=True)
class OperatorLedgerLine:
    """One payment or refund entry of an operator's payable account.

    `amount` is what the operator is owed for the line (negative for a refund),
    `platform_fee` the platform's part of the same line (same sign), `gross` what the
    passenger paid (or got back): amount + platform_fee."""

    entry_id: int
    transaction_id: int
    transaction_kind: str  # "payment" | "refund" (| "adjustment")
    reference: str
    created_at: datetime
    booking_leg_id: int | None
    kind: str  # the line kind, e.g. "leg", "add_on"
    amount: int
    platform_fee: int
    gross: int
    currency: str
    metadata: dict[str, Any]
    refund_of_id: int | None


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the calendar month containing `month`, in settings.TIME_ZONE."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    if month.month == 12:
        end = datetime(month.year + 1, 1, 1, tzinfo=tz)
    else:
        end = datetime(month.year, month.month + 1, 1, tzinfo=tz)
    return start, end


def ledger_operator_lines(*, operator_slug: str, month: date) -> list[OperatorLedgerLine]:
    """Every entry of the operator's payable account in the month (local time) that `month`
    falls in, oldest first. Sum of `amount` = what the operator earned in the month, net of
    refunds and of the platform fee; it reconciles with the ledger exactly."""
    start, end = month_bounds(month)
    rows = (
        Entry.objects.filter(
            account__kind=AccountKind.OPERATOR_PAYABLE,
            account__operator__slug=operator_slug,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .filter(
            Q(transaction__kind=TransactionKind.PAYMENT)
            | Q(transaction__kind=TransactionKind.REFUND)
            | Q(transaction__kind=TransactionKind.ADJUSTMENT)
        )
        .select_related("transaction", "account")
        .annotate(gross=F("amount") + F("platform_fee"))
        .order_by("transaction__created_at", "id")
    )
    return [
        OperatorLedgerLine(
            entry_id=entry.pk,
            transaction_id=entry.transaction_id,
            transaction_kind=entry.transaction.kind,
            reference=entry.transaction.reference,
            created_at=entry.transaction.created_at,
            booking_leg_id=entry.booking_leg_id,
            kind=entry.line_kind,
            amount=entry.amount,
            platform_fee=entry.platform_fee,
            gross=int(entry.gross),
            currency=entry.account.currency,
            metadata=dict(entry.transaction.metadata),
            refund_of_id=entry.transaction.refund_of_id,
        )
        for entry in rows
    ]
