"""The dashboard in headless Chromium against the real API, with the bundled snapshot crawled.

The expected figures are read from the graph with Cypher, independently of the API and the page.
"""

from __future__ import annotations

import re

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest
from neo4j import Driver

from api.app import create_app
from api.settings import ApiSettings
from graph.settings import Neo4jSettings
from tests.support.browser import ARTIFACTS, click_node, expect, graph_node_ids, served_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.support.bundled import BundledGraph

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ROOT = "meta-llama/Llama-3.1-8B"
RELABELLED_QUANT = "modularai/llama-3.1"  # declares llama3 over a llama3.1 parent: a violation


@pytest.fixture(scope="module")
def real_api(bundled_graph: BundledGraph, neo4j_settings: Neo4jSettings, redis_url: str) -> Iterator[str]:
    bundled_graph.ensure()
    app = create_app(ApiSettings(redis_url=redis_url), Neo4jSettings(uri=neo4j_settings.uri))
    with served_in_thread(app, "real-api") as url:
        yield url


@pytest.fixture
def real_page(browser: Browser, real_api: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=real_api)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"uncaught script errors in the page: {errors}"


def _family(driver: Driver, root: str) -> set[str]:
    records, _, _ = driver.execute_query(
        "MATCH (r:Model {id: $root}) OPTIONAL MATCH (d:Model)-[:DERIVED_FROM*1..10]->(r) "
        "WHERE d <> r RETURN r.id AS root, collect(DISTINCT d.id) AS descendants",
        root=root,
    )
    return {records[0]["root"], *records[0]["descendants"]}


def test_a_bundled_family_shows_its_real_counts_and_a_dossier_opens(real_page: Page, neo4j_driver: Driver) -> None:
    family = _family(neo4j_driver, ROOT)
    assert RELABELLED_QUANT in family and len(family) > 5

    real_page.goto(f"/#root={ROOT.replace('/', '%2F')}")
    # the first answer warms the server's caches; the later ones are fast
    expect(real_page.locator("#summary")).to_contain_text(f"root:{ROOT}", timeout=60_000)
    expect(real_page.locator("#summary")).to_contain_text(f"{len(family)} models")
    assert graph_node_ids(real_page) == family
    depth_bars = real_page.eval_on_selector_all(
        "#charts figure:nth-of-type(1) g.bar .bar-value", "els => els.map(e => Number(e.textContent))"
    )
    assert sum(depth_bars) == len(family)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    real_page.screenshot(path=str(ARTIFACTS / "20-real-family.png"), full_page=True)

    click_node(real_page, RELABELLED_QUANT)
    panel = real_page.locator("#panel-body")
    expect(panel.locator("h3")).to_have_text(RELABELLED_QUANT)
    expect(panel.locator("[data-field=license]")).to_have_text("llama3")
    expect(panel.locator("[data-field=known-from]")).to_have_text(
        re.compile(r"^(crawled \(the model itself read, \d{4}-\d\d-\d\d\)|the hub's listing only \(\d{4}-)")
    )
    expect(panel.locator(".conflict-list")).to_contain_text("R23")
    real_page.screenshot(path=str(ARTIFACTS / "21-real-panel.png"), full_page=True)

    with real_page.context.expect_page() as opened:
        panel.locator("#dossier-link").click()
    dossier = opened.value
    dossier.wait_for_load_state()
    assert urlparse(dossier.url).path == f"/investigations/{RELABELLED_QUANT}"
    expect(dossier.locator("body")).to_contain_text(RELABELLED_QUANT)
    expect(dossier.locator("body")).to_contain_text("R23")
    dossier.screenshot(path=str(ARTIFACTS / "22-real-dossier.png"), full_page=True)
    dossier.close()
