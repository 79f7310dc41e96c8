"""A city analyst walks EVERY URL pattern of the project (path parameters filled with ids
that exist) and reaches no personal data: each answer is a refusal, or an aggregate or a
public document, and no body holds a passenger's username, email or other personal field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from maas.accounts.models import Role, User, VisitorType
from maas.bookings.models import BookingState
from maas.platform.aggregates import aggregates_compute
from tests.conftest import client_for
from tests.factories import OperatorFactory
from tests.maas.platform.test_statistics import AT_8, DAY, _book

pytestmark = pytest.mark.django_db

SECRET_USERNAME = "zq-passenger-username-7731"
SECRET_EMAIL = "zq.secret.7731@example.org"
SECRET_NAME = "Zqfirstname7731"
SECRET_LAST = "Zqlastname7731"

# A city analyst may get 200 from these: aggregates, public documents and pages.
PUBLIC_OR_AGGREGATE = re.compile(
    r"^/(|healthz|readyz|api/schema/|api/docs/)$"
    r"|^/api/v1/stats/(?!audit)"
    r"|^/api/v1/(operators|stops|bikeshare|attractions|plan|products)"
    r"|^/api/v1/me$"  # the analyst's own profile
    r"|^/api/v1/city/products"  # fare products the city manages (no person in them)
    r"|^/static/|^/web/"
    r"|^/admin/(login|logout)/$"  # the admin's sign-in page (a non-staff user gets no more)
)


def _patterns(resolvers: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _fill(route: str, ids: dict[str, str]) -> str | None:
    if route.startswith("^") or "(?P" in route:
        route = route.lstrip("^").rstrip("$").replace("\\Z", "")
        if any(c in route for c in "()[]*+?\\"):
            return None  # a regex with no literal form (the API 404 catch-all, admin)

    def value(match: re.Match[str]) -> str:
        converter, name = (match.group(1) or "str"), match.group(2)
        if name in ids:
            return ids[name]
        return {"int": "1", "uuid": ids["uuid"], "slug": ids["slug"]}.get(converter, ids["str"])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_city_user_walks_every_url_and_sees_no_personal_data(
    make_user: Callable[..., User], city_analyst: User
) -> None:
    # given: a passenger with distinctive personal values and bookings of their own
    passenger = make_user(
        Role.PASSENGER,
        username=SECRET_USERNAME,
        email=SECRET_EMAIL,
        first_name=SECRET_NAME,
        last_name=SECRET_LAST,
        visitor_type=VisitorType.TOURIST,
    )
    operator = OperatorFactory.create(slug="walk-bus")
    legs = _book(passenger, operator, n=11, at=AT_8, state=BookingState.CONFIRMED)
    aggregates_compute(date_from=DAY, date_to=DAY)
    ids = {
        "slug": operator.slug,
        "uuid": str(legs[0].booking_id),
        "str": str(legs[0].booking_id),
        "booking_id": str(legs[0].booking_id),
        "id": str(legs[0].booking_id),
        "pk": str(passenger.pk),
        "object_id": str(passenger.pk),
        "user_id": str(passenger.pk),
    }
    client = client_for(city_analyst)
    client.force_login(city_analyst)  # the admin site and pages use the session
    walked = 0
    allowed_unexpectedly = []
    # when
    for route in sorted(set(_patterns(get_resolver().url_patterns))):
        path = _fill(route, ids)
        if path is None:
            continue
        response = client.get(path, {"date_from": "2030-06-05", "date_to": "2030-06-05"})
        walked += 1
        body = response.content.decode("utf-8", errors="replace")
        # then
        for secret in (SECRET_USERNAME, SECRET_EMAIL, SECRET_NAME, SECRET_LAST):
            assert secret not in body, (path, response.status_code)
        if response.status_code in (200, 201) and not PUBLIC_OR_AGGREGATE.search(path):
            allowed_unexpectedly.append((path, response.status_code))
        assert response.status_code < 500 or path == "/readyz", (path, body[:300])
    assert allowed_unexpectedly == []
    assert walked > 40
