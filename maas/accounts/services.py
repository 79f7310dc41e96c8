"""Write-side operations on accounts and API keys."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from maas.accounts.models import ApiKey, Language, Role, User
from operators.models import Operator


def api_key_hash(secret: str) -> str:
    # The secret is 256 random bits, so a plain SHA-256 cannot be brute-forced; a slow
    # password hash would only cost CPU on every machine request.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    key: str  # the full key, shown once: "<prefix>.<secret>"


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str = Role.PASSENGER,
    operator: Operator | None = None,
    email: str = "",
    preferred_language: str = Language.JA,
) -> User:
    """Create a user of `role`. Operator members need exactly one operator; other roles none.
    The password is checked by Django's validators; None makes an unusable password."""
    if role not in Role.values:
        raise ValidationError({"role": f"unknown role {role!r}"})
    if (role == Role.OPERATOR) != (operator is not None):
        raise ValidationError(
            {"operator": "an operator member needs --operator; other roles must not have one"}
        )
    if preferred_language not in Language.values:
        raise ValidationError(
            {"preferred_language": f"unsupported language {preferred_language!r}"}
        )
    user = User(
        username=username,
        email=email,
        role=role,
        operator=operator,
        preferred_language=preferred_language,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_consent_update(*, user: User, share_usage_research: bool) -> User:
    """Record the passenger's research-sharing consent and when it last changed."""
    if user.share_usage_research != share_usage_research or user.consent_updated_at is None:
        user.share_usage_research = share_usage_research
        user.consent_updated_at = timezone.now()
        user.save(update_fields=["share_usage_research", "consent_updated_at"])
    return user


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    email: str | None,
    preferred_language: str | None,
    visitor_type: str | None = None,
) -> User:
    if email is not None:
        user.email = email
    if preferred_language is not None:
        user.preferred_language = preferred_language
    if visitor_type is not None:
        user.visitor_type = visitor_type
    user.full_clean(exclude=["password"])
    user.save(update_fields=["email", "preferred_language", "visitor_type"])
    return user


@transaction.atomic
def api_key_create(
    *, operator: Operator, name: str = "", created_by: User | None = None
) -> IssuedApiKey:
    """Issue a new API key for `operator`; the returned full key is never stored."""
    prefix = secrets.token_hex(settings.API_KEY_PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        operator=operator,
        name=name,
        prefix=prefix,
        secret_hash=api_key_hash(secret),
        created_by=created_by,
    )
    return IssuedApiKey(api_key=api_key, key=f"{prefix}.{secret}")


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key; it stops authenticating at once. Revoking twice is a no-op."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
