"""Web pages in a real Chromium (Debian's, driven by Playwright) against a live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CHROMIUM
from tests.factories import OperatorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself (factories) happen before any page call, which Django allows with this.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        yield page
        browser.close()


def test_landing_page_lists_operators_and_links_the_api_docs(live_server: Any, page: Any) -> None:
    # given
    OperatorFactory.create(slug="yamanashi-bus", name_ja="山梨交通", name_en="Yamanashi Kotsu")
    # when
    page.goto(f"{live_server.url}/")
    # then
    assert page.title() == "MaaS — 移動をひとつに / One trip, every operator"
    assert page.locator("#operators li").all_inner_texts() == [
        "yamanashi-bus 山梨交通 / Yamanashi Kotsu"
    ]
    # when: the API docs link is followed, Swagger UI renders the schema (served locally)
    page.click("text=API docs (Swagger UI)")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "MaaS API" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path[data-path='/api/v1/operators']").count() >= 1
