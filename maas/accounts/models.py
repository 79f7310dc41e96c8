"""Users and their roles, operator membership, consent, and operator API keys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from maas.core.roles import Role
from operators.models import Operator

__all__ = ["ApiKey", "Language", "Role", "User", "VisitorType"]


class Language(models.TextChoices):
    JA = "ja", "日本語"
    EN = "en", "English"
    JA_HRKT = "ja-Hrkt", "にほんご (かな)"


class VisitorType(models.TextChoices):
    """What a passenger said about themselves, for the city's tourist/resident split."""

    RESIDENT = "resident", "Resident"
    TOURIST = "tourist", "Tourist"
    UNKNOWN = "unknown", "Unknown (not said)"


class User(AbstractUser):
    """A person using the system. The role decides which front door they use; an operator
    member belongs to exactly one operator (enforced by a database constraint)."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PASSENGER)
    operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    preferred_language = models.CharField(
        max_length=8, choices=Language.choices, default=Language.JA
    )
    share_usage_research = models.BooleanField(
        default=False, help_text="Opt-in consent to share pseudonymous usage with research."
    )
    consent_updated_at = models.DateTimeField(null=True, blank=True)
    visitor_type = models.CharField(
        max_length=16,
        choices=VisitorType.choices,
        default=VisitorType.UNKNOWN,
        help_text="Resident or tourist, if the passenger said so (aggregated for the city).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="operator_member_has_exactly_one_operator",
                condition=(Q(role="operator") & Q(operator__isnull=False))
                | (~Q(role="operator") & Q(operator__isnull=True)),
            ),
        ]

    @property
    def is_api_key(self) -> bool:
        return False


class ApiKey(models.Model):
    """A machine credential of one operator. Only a SHA-256 hash of the secret is stored;
    the full key is shown once at creation. Revoked keys stay for the audit trail."""

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.operator.slug}:{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
