"""The dashboard's browser tests: Debian's Chromium, an app served by uvicorn in a thread, the stub API
server, and what the tests do on a page (find and click the graph's nodes).

Screenshots go to ``test-artifacts/dashboard/`` at the repository root (:data:`ARTIFACTS`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from tests.support.stack import free_port
from tests.support.stub_api import create_stub_app

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Page

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "StubServer",
    "click_node",
    "expect",
    "graph_node_ids",
    "missing_browser",
    "served_in_thread",
]

CHROMIUM = Path(os.environ.get("LINEAGE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium and playwright are installed."""
    if importlib.util.find_spec("playwright") is None:
        return "the 'playwright' Python package is not installed (pip install playwright; no 'playwright install' needed)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)) and shutil.which(str(CHROMIUM)) is None:
        return f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return None


@contextmanager
def served_in_thread(app: FastAPI, name: str) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port in a daemon thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


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


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def graph_node_ids(page: Page) -> set[str]:
    ids = page.evaluate("() => window.lineageDashboard.graph.cy.nodes().map(n => n.id())")
    return set(ids)


def click_node(page: Page, model_id: str, double: bool = False) -> None:
    """A real mouse click on the node's drawn position in the graph canvas."""
    graph = page.locator("#graph")
    graph.scroll_into_view_if_needed()
    # let the page handle the scroll (cytoscape re-reads where its canvas is on a scroll event) before clicking
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    pos = page.evaluate(
        "id => { const p = window.lineageDashboard.graph.cy.getElementById(id).renderedPosition(); return [p.x, p.y]; }",
        model_id,
    )
    box = graph.bounding_box()
    assert box is not None
    x, y = box["x"] + pos[0], box["y"] + pos[1]
    assert box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"], "node drawn outside the view"
    if double:
        page.mouse.dblclick(x, y)
    else:
        page.mouse.click(x, y)
