"""Fixtures for the dashboard's browser tests: a stub API server and headless Chromium via Playwright.

The tests are marked ``browser``. They skip, with the reason, when Debian's Chromium or the
``playwright`` package is missing — unless ``LINEAGE_BROWSER_TESTS=1`` (set by ``.ci/run``),
where a missing browser is an error instead, so CI cannot pass by skipping them.
Screenshots go to ``test-artifacts/dashboard/`` at the repository root.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from tests.browser.stub_api import create_stub_app
from tests.conftest import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("LINEAGE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the dashboard in headless Chromium with Playwright")


def _missing_browser() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the 'playwright' Python package is not installed (pip install playwright; no 'playwright install' needed)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)) and shutil.which(str(CHROMIUM)) is None:
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return None


class StubServer:
    """The stub API (dashboard router + contract-executing /graphql) under uvicorn in a thread."""

    def __init__(self) -> None:
        self.app = create_stub_app()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", ws="none", http="h11")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="dashboard-stub-api", daemon=True)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The GraphQL requests received so far (query, variables), oldest first."""
        return self.app.state.requests  # type: ignore[no-any-return]

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the stub API did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


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
    missing = _missing_browser()
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
