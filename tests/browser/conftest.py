"""Fixtures for the dashboard's browser tests: a stub API server and headless Chromium via Playwright.

The tests are marked ``browser``. They skip, with the reason, when Debian's Chromium or the
``playwright`` package is missing — unless ``LINEAGE_BROWSER_TESTS=1`` (set by ``.ci/run``),
where a missing browser is an error instead, so CI cannot pass by skipping them.
Screenshots go to ``test-artifacts/dashboard/`` at the repository root. The helpers behind these
fixtures are in :mod:`tests.support.browser`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, StubServer, missing_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the dashboard in headless Chromium with Playwright")


@pytest.fixture(scope="session")
def stub_server() -> Iterator[StubServer]:
    server = StubServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    missing = missing_browser()
    if missing:
        if os.environ.get("LINEAGE_BROWSER_TESTS") == "1":
            pytest.fail(f"LINEAGE_BROWSER_TESTS=1 but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, stub_server: StubServer) -> Iterator[Page]:
    """A fresh page at the stub server; fails the test on any uncaught script error."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=stub_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    stub_server.requests.clear()
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught script errors in the page: {errors}"


@pytest.fixture
def screenshot(page: Page) -> Any:
    """``screenshot(name)`` saves a full-page PNG to test-artifacts/dashboard/NAME.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
