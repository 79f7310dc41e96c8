"""One endpoint per role: allowed, 401 anonymous, 403 wrong role, 404 other tenant —
and every refusal leaves the database as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from maas.accounts.models import ApiKey, Role, User
from maas.accounts.services import api_key_create
from operators.models import Operator
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def assert_error(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)


# ----------------------------------------------------------------- passenger: consent
def test_passenger_sets_own_consent(passenger: User) -> None:
    # when
    response = client_for(passenger).put(
        "/api/v1/me/consent", {"share_usage_research": True}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json()["share_usage_research"] is True
    passenger.refresh_from_db()
    assert passenger.share_usage_research is True
    assert passenger.consent_updated_at is not None
    assert response.json()["updated_at"] is not None


def test_consent_refused_anonymous_and_wrong_roles(
    api_client: APIClient, passenger: User, city_analyst: User, operator_member: User
) -> None:
    # when / then: anonymous
    assert_error(
        api_client.put("/api/v1/me/consent", {"share_usage_research": True}, format="json"),
        401,
        "not_authenticated",
    )
    # when / then: city and operator roles may not hold passenger consent
    for user in (city_analyst, operator_member):
        assert_error(
            client_for(user).put(
                "/api/v1/me/consent", {"share_usage_research": True}, format="json"
            ),
            403,
            "permission_denied",
        )
        user.refresh_from_db()
        assert user.share_usage_research is False
        assert user.consent_updated_at is None


def test_consent_bad_input_changes_nothing(passenger: User) -> None:
    response = client_for(passenger).put(
        "/api/v1/me/consent", {"share_usage_research": "perhaps"}, format="json"
    )
    assert_error(response, 400, "invalid_request")
    assert response.json()["error"]["details"]["fields"] == {
        "share_usage_research": ["Must be a valid boolean."]
    }
    passenger.refresh_from_db()
    assert passenger.consent_updated_at is None


# ----------------------------------------------------------------- operator: revoke a key
def test_operator_revokes_own_key(operator_member: User, operator_a: Operator) -> None:
    # given
    issued = api_key_create(operator=operator_a, name="depot")
    # when
    response = client_for(operator_member).delete(
        f"/api/v1/operators/alpha-bus/api-keys/{issued.api_key.pk}"
    )
    # then
    assert response.status_code == 200
    assert response.json()["active"] is False
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None


def test_revoke_refused_for_anonymous_wrong_role_and_other_tenant(
    api_client: APIClient,
    passenger: User,
    city_analyst: User,
    operator_member: User,
    operator_a: Operator,
    operator_b: Operator,
) -> None:
    # given: a key of operator B
    other = api_key_create(operator=operator_b, name="beta").api_key
    url_b = f"/api/v1/operators/beta-rail/api-keys/{other.pk}"
    # when / then
    assert_error(api_client.delete(url_b), 401, "not_authenticated")
    assert_error(client_for(passenger).delete(url_b), 403, "permission_denied")
    assert_error(client_for(city_analyst).delete(url_b), 403, "permission_denied")
    # operator A reaches neither B's namespace nor B's key through its own namespace
    assert_error(client_for(operator_member).delete(url_b), 404, "not_found")
    assert_error(
        client_for(operator_member).delete(f"/api/v1/operators/alpha-bus/api-keys/{other.pk}"),
        404,
        "not_found",
    )
    other.refresh_from_db()
    assert other.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_operator_key_list_shows_only_own_keys(
    operator_member: User, operator_a: Operator, operator_b: Operator
) -> None:
    mine = api_key_create(operator=operator_a, name="mine").api_key
    api_key_create(operator=operator_b, name="theirs")
    response = client_for(operator_member).get("/api/v1/operators/alpha-bus/api-keys")
    assert response.status_code == 200
    assert [k["id"] for k in response.json()] == [mine.pk]
    assert "secret_hash" not in response.json()[0]


def test_api_key_authenticates_until_revoked(operator_member: User, operator_a: Operator) -> None:
    # given: a key created through the API (shown once)
    created = client_for(operator_member).post(
        "/api/v1/operators/alpha-bus/api-keys", {"name": "scanner"}, format="json"
    )
    assert created.status_code == 201
    key = created.json()["key"]
    stored = ApiKey.objects.get(pk=created.json()["id"])
    assert key.split(".")[1] not in stored.secret_hash
    machine = APIClient()
    machine.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    # a key is an operator principal, but may not mint more keys
    assert_error(
        machine.post("/api/v1/operators/alpha-bus/api-keys", {}, format="json"),
        403,
        "permission_denied",
    )
    # when revoked
    client_for(operator_member).delete(f"/api/v1/operators/alpha-bus/api-keys/{stored.pk}")
    # then the same key is refused
    assert_error(machine.get("/api/v1/operators/alpha-bus/api-keys"), 401, "authentication_failed")
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Api-Key {stored.prefix}.not-the-secret")
    assert_error(wrong.get("/api/v1/me"), 401, "authentication_failed")


# ----------------------------------------------------------------- city: aggregates
def test_city_reads_account_aggregates(
    city_analyst: User, make_user: Callable[..., User], settings: object
) -> None:
    # given: 12 passengers prefer ja, 3 prefer en (below k=10), 11 prefer ja-Hrkt
    for i in range(12):
        make_user(Role.PASSENGER, username=f"ja{i}", preferred_language="ja")
    for i in range(3):
        make_user(Role.PASSENGER, username=f"en{i}", preferred_language="en")
    for i in range(11):
        make_user(Role.PASSENGER, username=f"kana{i}", preferred_language="ja-Hrkt")
    # when
    response = client_for(city_analyst).get("/api/v1/stats/accounts?group_by=language")
    # then: en is suppressed, and so is the next-smallest cell (ja-Hrkt, 11) so that
    # total - visible cannot reveal en's 3
    assert response.status_code == 200
    assert response.json() == {
        "k": 10,
        "group_by": "language",
        "total": 26,
        "cells": [
            {"key": "en", "count": None, "suppressed": True},
            {"key": "ja", "count": 12, "suppressed": False},
            {"key": "ja-Hrkt", "count": None, "suppressed": True},
        ],
    }


def test_city_stats_refused_for_anonymous_and_wrong_roles(
    api_client: APIClient, passenger: User, operator_member: User
) -> None:
    assert_error(api_client.get("/api/v1/stats/accounts"), 401, "not_authenticated")
    for user in (passenger, operator_member):
        assert_error(client_for(user).get("/api/v1/stats/accounts"), 403, "permission_denied")


def test_city_stats_bad_group_by(city_analyst: User) -> None:
    response = client_for(city_analyst).get("/api/v1/stats/accounts?group_by=email")
    assert_error(response, 400, "invalid_request")


# ----------------------------------------------------------------- admin: create operator
def test_admin_creates_operator(admin_user: User) -> None:
    response = client_for(admin_user).post(
        "/api/v1/operators",
        {
            "slug": "gamma-ferry",
            "name_ja": "ガンマ汽船",
            "name_en": "Gamma Ferry",
            "modes": ["ferry"],
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "gamma-ferry"
    assert Operator.objects.get(slug="gamma-ferry").modes == ["ferry"]


def test_operator_create_refused_and_nothing_created(
    api_client: APIClient, operator_member: User, city_analyst: User, passenger: User
) -> None:
    payload = {"slug": "rogue", "name_ja": "ならず者"}
    before = Operator.objects.count()
    assert_error(
        api_client.post("/api/v1/operators", payload, format="json"), 401, "not_authenticated"
    )
    for user in (operator_member, city_analyst, passenger):
        assert_error(
            client_for(user).post("/api/v1/operators", payload, format="json"),
            403,
            "permission_denied",
        )
    assert Operator.objects.count() == before
    assert not Operator.objects.filter(slug="rogue").exists()


def test_operator_create_bad_input(admin_user: User) -> None:
    before = Operator.objects.count()
    response = client_for(admin_user).post(
        "/api/v1/operators",
        {"slug": "Bad Slug!", "name_ja": "x", "time_zone": "Mars/Olympus"},
        format="json",
    )
    assert_error(response, 400, "invalid_request")
    assert Operator.objects.count() == before


# ----------------------------------------------------------------- operator: own profile
def test_operator_updates_own_profile_but_not_others(
    operator_member: User, operator_b: Operator
) -> None:
    ok = client_for(operator_member).patch(
        "/api/v1/operators/alpha-bus", {"contact_phone": "055-000-0000"}, format="json"
    )
    assert ok.status_code == 200
    assert ok.json()["contact_phone"] == "055-000-0000"
    refused = client_for(operator_member).patch(
        "/api/v1/operators/beta-rail", {"contact_phone": "000"}, format="json"
    )
    assert_error(refused, 404, "not_found")
    operator_b.refresh_from_db()
    assert operator_b.contact_phone == ""
