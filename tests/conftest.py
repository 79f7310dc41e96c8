"""Shared fixtures: API clients per role, the shared data folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from maas.accounts.models import Role, User
from operators.models import Operator
from tests.factories import OperatorFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHARED_DATA = Path(
    os.environ.get("SHARED_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def pytest_configure(config: pytest.Config) -> None:
    # CI sets MAAS_REQUIRE_SERVICES: there a missing service or data folder is a failure,
    # never a silent skip.
    if os.environ.get("MAAS_REQUIRE_SERVICES"):
        missing = []
        if not os.environ.get("REDIS_URL"):
            missing.append("REDIS_URL")
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            missing.append("DATABASE_URL=postgres://...")
        if not SHARED_DATA.is_dir():
            missing.append(f"shared data at {SHARED_DATA}")
        if not Path(CHROMIUM).is_file():
            missing.append(CHROMIUM)
        if missing:
            raise pytest.UsageError(
                "MAAS_REQUIRE_SERVICES is set but missing: " + ", ".join(missing)
            )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_data = pytest.mark.skip(reason=f"shared data not found at {SHARED_DATA}")
    skip_redis = pytest.mark.skip(reason="REDIS_URL not set")
    skip_browser = pytest.mark.skip(reason=f"{CHROMIUM} not installed")
    for item in items:
        if "shared_data" in item.keywords and not SHARED_DATA.is_dir():
            item.add_marker(skip_data)
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)
        if "browser" in item.keywords and not Path(CHROMIUM).is_file():
            item.add_marker(skip_browser)


@pytest.fixture
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _clear_throttle_cache() -> None:
    # Throttle counters live in the cache; a test must not inherit another's requests.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _snapshot_isolation(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Snapshots are written to a per-test folder and built only where a test asks for it
    # (SNAPSHOT_AUTO_BUILD), and no API process state leaks between tests.
    from maas.trips.services import snapshot_reset

    settings.SNAPSHOT_DIR = tmp_path_factory.mktemp("snapshots")
    settings.SNAPSHOT_AUTO_BUILD = False
    settings.SNAPSHOT_POLL_S = 0.0
    snapshot_reset()
    yield
    snapshot_reset()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user: User) -> APIClient:
    client = APIClient()
    token = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def operator_a(db: None) -> Operator:
    return OperatorFactory.create(slug="alpha-bus", name_ja="アルファバス", name_en="Alpha Bus")


@pytest.fixture
def operator_b(db: None) -> Operator:
    return OperatorFactory.create(
        slug="beta-rail", name_ja="ベータ鉄道", name_en="Beta Rail", modes=["rail"]
    )


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        role: str = Role.PASSENGER, operator: Operator | None = None, **kwargs: object
    ) -> User:
        return UserFactory.create(role=role, operator=operator, **kwargs)

    return make


@pytest.fixture
def passenger(make_user: Callable[..., User]) -> User:
    return make_user(Role.PASSENGER, username="hanako")


@pytest.fixture
def operator_member(make_user: Callable[..., User], operator_a: Operator) -> User:
    return make_user(Role.OPERATOR, operator=operator_a, username="alpha-staff")


@pytest.fixture
def city_analyst(make_user: Callable[..., User]) -> User:
    return make_user(Role.CITY, username="city-analyst")


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN, username="root-admin", is_staff=True, is_superuser=True)
