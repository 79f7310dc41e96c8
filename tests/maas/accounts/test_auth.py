"""Registration, tokens, refresh, and the staff management commands."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from maas.accounts.models import ApiKey, Role, User
from maas.accounts.services import api_key_hash
from operators.models import Operator
from tests.maas.accounts.test_role_matrix import assert_error

pytestmark = pytest.mark.django_db

PASSWORD = "kofu-to-kawaguchiko-2025"


def test_register_then_token_then_refresh(api_client: APIClient) -> None:
    # when
    created = api_client.post(
        "/api/v1/auth/register",
        {
            "username": "taro",
            "password": PASSWORD,
            "email": "taro@example.jp",
            "preferred_language": "en",
        },
        format="json",
    )
    # then
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "username": "taro",
        "email": "taro@example.jp",
        "role": "passenger",
        "operator": None,
        "preferred_language": "en",
        "visitor_type": "unknown",
    }
    user = User.objects.get(username="taro")
    assert user.role == Role.PASSENGER
    assert user.check_password(PASSWORD)

    tokens = api_client.post(
        "/api/v1/auth/token", {"username": "taro", "password": PASSWORD}, format="json"
    )
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access", "refresh"}

    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert me.get("/api/v1/me").json()["username"] == "taro"

    refreshed = api_client.post(
        "/api/v1/auth/token/refresh", {"refresh": tokens.json()["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
    assert "access" in refreshed.json()


def test_register_rejects_weak_password_and_duplicates(api_client: APIClient) -> None:
    weak = api_client.post(
        "/api/v1/auth/register", {"username": "jiro", "password": "12345678"}, format="json"
    )
    assert_error(weak, 400, "invalid_request")
    # messages follow the request's language (Japanese by default)
    assert weak.json()["error"]["message"] == "Invalid request: このパスワードは一般的すぎます。"
    weak_en = api_client.post(
        "/api/v1/auth/register",
        {"username": "jiro", "password": "12345678"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert weak_en.json()["error"]["message"] == "Invalid request: This password is too common."
    assert not User.objects.filter(username="jiro").exists()

    api_client.post(
        "/api/v1/auth/register", {"username": "saburo", "password": PASSWORD}, format="json"
    )
    dup = api_client.post(
        "/api/v1/auth/register", {"username": "SABURO", "password": PASSWORD}, format="json"
    )
    assert_error(dup, 409, "username_taken")
    assert User.objects.filter(username__iexact="saburo").count() == 1


def test_token_with_wrong_password(api_client: APIClient, passenger: User) -> None:
    response = api_client.post(
        "/api/v1/auth/token", {"username": passenger.username, "password": "nope"}, format="json"
    )
    assert_error(response, 401, "authentication_failed")


def test_refresh_with_garbage(api_client: APIClient) -> None:
    response = api_client.post("/api/v1/auth/token/refresh", {"refresh": "x.y.z"}, format="json")
    assert_error(response, 401, "token_not_valid")


def test_create_user_command(operator_a: Operator) -> None:
    call_command(
        "create_user",
        "alpha-ops",
        "--role",
        "operator",
        "--operator",
        "alpha-bus",
        "--password",
        PASSWORD,
    )
    user = User.objects.get(username="alpha-ops")
    assert (user.role, user.operator, user.is_staff) == (Role.OPERATOR, operator_a, False)
    call_command("create_user", "boss", "--role", "admin", "--password", PASSWORD)
    assert User.objects.get(username="boss").is_superuser is True
    with pytest.raises(CommandError, match="an operator member needs --operator"):
        call_command("create_user", "lost", "--role", "operator", "--password", PASSWORD)
    with pytest.raises(CommandError, match="No operator 'nope'"):
        call_command(
            "create_user", "x", "--role", "operator", "--operator", "nope", "--password", PASSWORD
        )
    assert not User.objects.filter(username__in=["lost", "x"]).exists()


def test_create_api_key_command_prints_key_once(
    operator_a: Operator, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("create_api_key", "alpha-bus", "--name", "gate")
    key = capsys.readouterr().out.strip()
    prefix, secret = key.split(".")
    stored = ApiKey.objects.get(prefix=prefix)
    assert stored.operator == operator_a
    assert stored.secret_hash == api_key_hash(secret)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/operators/alpha-bus").status_code == 200


def test_operator_member_constraint_in_database(operator_a: Operator) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="orphan", role=Role.OPERATOR, operator=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="mixed", role=Role.PASSENGER, operator=operator_a)
