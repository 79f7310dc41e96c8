"""Every API error has the one body of API.md, whatever raised it."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from maas.accounts.models import User
from tests.conftest import client_for
from tests.maas.accounts.test_role_matrix import assert_error

pytestmark = pytest.mark.django_db


def test_400_malformed_json(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/auth/register", data="{not json", content_type="application/json"
    )
    assert_error(response, 400, "malformed_request")


def test_400_validation_names_the_field(api_client: APIClient) -> None:
    response = api_client.post(
        "/api/v1/auth/register", {"username": "taro"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert_error(response, 400, "invalid_request")
    assert (
        response.json()["error"]["message"] == "Invalid request: password: This field is required."
    )
    assert User.objects.count() == 0


def test_401_bad_bearer_token(api_client: APIClient) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_error(api_client.get("/api/v1/me"), 401, "token_not_valid")


def test_403_wrong_role(passenger: User) -> None:
    assert_error(client_for(passenger).get("/api/v1/stats/accounts"), 403, "permission_denied")


def test_404_unknown_api_path_and_object(api_client: APIClient) -> None:
    assert_error(api_client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(api_client.get("/api/nothing/here"), 404, "not_found")
    assert_error(api_client.get("/api/v1/operators/no-such-operator"), 404, "not_found")


def test_404_outside_api_is_html() -> None:
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_405_wrong_method(api_client: APIClient) -> None:
    response = api_client.delete("/api/v1/operators", HTTP_ACCEPT_LANGUAGE="en")
    assert_error(response, 405, "method_not_allowed")
    assert response.json()["error"]["message"] == 'Method "DELETE" not allowed.'


def test_429_rate_limited_with_retry_after(api_client: APIClient) -> None:
    # given: registration is limited to 10/hour per client (API_REGISTER_RATE)
    for i in range(10):
        response = api_client.post("/api/v1/auth/register", {"username": f"u{i}"}, format="json")
        assert response.status_code == 400
    # when
    response = api_client.post(
        "/api/v1/auth/register",
        {"username": "late", "password": "a-long-enough-password-1"},
        format="json",
    )
    # then
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["details"]["retry_after_s"] == int(response["Retry-After"])
    assert not User.objects.filter(username="late").exists()


@pytest.mark.urls("tests.maas.core.urls_raising")
@pytest.mark.parametrize("path", ["/api/v1/test-crash", "/api/v1/test-crash-plain"])
@pytest.mark.parametrize("debug", [False, True])
def test_500_is_json_and_hides_the_exception(path: str, debug: bool, settings: object) -> None:
    settings.DEBUG = debug  # type: ignore[attr-defined]
    client = APIClient(raise_request_exception=False)
    response = client.get(path)
    assert_error(response, 500, "internal_error")
    assert "boom" not in response.content.decode()


def test_csrf_failure_on_api_path_is_json(passenger: User) -> None:
    # given: a browser session (cookie auth) without a CSRF token
    client = Client(enforce_csrf_checks=True)
    client.force_login(passenger)
    # when: a form post to Django's admin logout would need CSRF; use the api catch-all
    response = client.post("/api/v1/no-such-thing", {"x": "1"})
    # then: the catch-all is CSRF-protected like any Django view and answers JSON
    assert_error(response, 403, "csrf_failed")
