"""The double-entry ledger behind the passenger wallet ("digital currency").

Every money movement is one `Transaction` with two or more `Entry` rows whose amounts sum
to zero. An entry's amount is signed, in minor units of the account's currency: positive
means money moves INTO that account (its balance grows), negative OUT of it. An account's
balance is the sum of its entries. See docs/wallet.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from operators.models import Operator


class AccountKind(models.TextChoices):
    PASSENGER_WALLET = "passenger_wallet", "Passenger wallet"
    OPERATOR_PAYABLE = "operator_payable", "Owed to an operator"
    PLATFORM_FEE = "platform_fee", "Platform fee income"
    # The outside world: money that came in through top-ups (and would leave through
    # pay-outs). Its balance is the negative of all money held for passengers and operators.
    PLATFORM_CASH = "platform_cash", "Platform cash (money in / out)"


class TransactionKind(models.TextChoices):
    TOP_UP = "top_up", "Top-up"
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class Account(models.Model):
    """One ledger account: a passenger's wallet (one per user and currency), what is owed to
    an operator (one per operator and currency), or one of the platform's own accounts."""

    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # ledger history is never deleted with a person
        related_name="wallet_accounts",
    )
    operator = models.ForeignKey(
        Operator,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    # Denormalised balance, kept for passenger wallets only (updated with F() while the row
    # is locked) so the database itself refuses an overdraft. Other accounts are written by
    # every payment; keeping a balance there would make them a hot row that serialises all
    # payments, so their balance is the sum of their entries (selectors.account_balance).
    balance = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "currency"],
                condition=Q(kind="passenger_wallet"),
                name="wallet_account_one_wallet_per_user",
            ),
            models.UniqueConstraint(
                fields=["operator", "currency"],
                condition=Q(kind="operator_payable"),
                name="wallet_account_one_payable_per_operator",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(kind__in=["platform_fee", "platform_cash"]),
                name="wallet_account_one_platform_account",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="passenger_wallet", user__isnull=False, operator__isnull=True)
                    | Q(kind="operator_payable", user__isnull=True, operator__isnull=False)
                    | Q(
                        kind__in=["platform_fee", "platform_cash"],
                        user__isnull=True,
                        operator__isnull=True,
                    )
                ),
                name="wallet_account_owner_matches_kind",
            ),
            # A wallet never goes negative, whatever the code above the database does.
            models.CheckConstraint(
                condition=(
                    Q(kind="passenger_wallet", balance__isnull=False, balance__gte=0)
                    | (~Q(kind="passenger_wallet") & Q(balance__isnull=True))
                ),
                name="wallet_account_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user_id or (self.operator_id and f"operator {self.operator_id}") or ""
        return f"{self.kind} {owner} {self.currency}".strip()


class Transaction(models.Model):
    """One balanced money movement. `reference` is unique per kind: the caller's idempotency
    key (a retry with the same reference gets the first transaction back)."""

    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    reference = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    memo = models.CharField(max_length=500, blank=True)
    # e.g. {"booking_id": 12, "method": "sandbox", "provider_reference": "..."}
    metadata = models.JSONField(default=dict, blank=True)
    # A refund points at the payment it reverses.
    refund_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference"], name="wallet_transaction_unique_reference"
            ),
            models.CheckConstraint(
                condition=Q(kind="refund", refund_of__isnull=False)
                | (~Q(kind="refund") & Q(refund_of__isnull=True)),
                name="wallet_transaction_refund_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Entry(models.Model):
    """One side of a transaction. Entries of operator-payable and platform-fee accounts
    also carry the sold line they come from (booking leg, line kind) and, on the operator's
    entry, the platform fee taken from that line, so settlement can be traced per leg."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()  # signed minor units: + into the account, - out of it
    booking_leg_id = models.BigIntegerField(null=True, blank=True)
    line_kind = models.CharField(max_length=32, blank=True)
    # On an operator_payable entry: the platform fee part of the same line, with the same
    # sign as `amount` (the passenger paid amount + platform_fee for the line).
    platform_fee = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        indexes = [models.Index(fields=["account", "-id"], name="wallet_entry_account_id")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount:+d}"
