"""The dashboard in headless Chromium against the real API, with the bundled snapshot crawled.

The expected figures are read from the graph with Cypher, independently of the API and the page.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

import pytest
from neo4j import Driver

from api.app import create_app
from api.settings import ApiSettings
from graph.settings import Neo4jSettings
from tests.support.browser import ARTIFACTS, click_node, expect, graph_node_ids, served_in_thread
from tests.support.graphql import DASHBOARD

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
    """The root and its descendants, the constructed lineage-fixtures/ models left out as every statistic does."""
    records, _, _ = driver.execute_query(
        "MATCH (r:Model {id: $root}) OPTIONAL MATCH (d:Model)-[:DERIVED_FROM*1..10]->(r) "
        "WHERE d <> r AND NOT d.id STARTS WITH 'lineage-fixtures/' RETURN r.id AS root, collect(DISTINCT d.id) AS descendants",
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


# ----- every number on screen against the GraphQL answer, for three real scopes -----------------------

SCOPES = {
    "root": ("root", ROOT),
    "licence": ("license", "apache-2.0"),
    "term": ("term", "restriction:military"),
}


def _graphql(page: Page, query: str, variables: dict[str, object]) -> dict[str, object]:
    response = page.request.post("graphql", data={"query": query, "variables": variables}, timeout=180_000)
    body = response.json()
    assert response.ok and not body.get("errors"), body
    return body["data"]  # type: ignore[no-any-return]


def _expected_counts(kind: str, ident: str, p: dict[str, Any], changes: dict[str, Any]) -> dict[str, int]:
    """What each `data-count` key on the page stands for, computed from the GraphQL answers (propagation, and
    the first page of the scope's changes the "What changed" feed shows)."""
    nodes = p["graph"]["nodes"]
    out = {
        "changes:shown": len(changes["edges"]),
        "totalModels": p["totalModels"],
        "deploymentsReachedCount": p["deploymentsReachedCount"],
        "deploymentsListed": len(p["deploymentsReached"]),
        "conflicts": sum(r["conflicts"] for r in p["conflictsByRule"]),
        "drawn": len(nodes),
        "drawn:violation": sum(1 for n in nodes if n["conflictState"] == "VIOLATION"),
        "drawn:warning": sum(1 for n in nodes if n["conflictState"] == "WARNING"),
    }
    for r in p["conflictsByRule"]:
        out[f"rule:{r['ruleId']}:{r['severity']}:conflicts"] = r["conflicts"]
        out[f"rule:{r['ruleId']}:{r['severity']}:models"] = r["models"]
    for t in p["termFlow"]:
        for what in ("keep", "drop", "violate"):
            out[f"termFlow:{t['termId']}:{what}"] = t[what]
    if kind == "term" and f"termFlow:{ident}:violate" not in out:
        out[f"termFlow:{ident}:violate"] = 0
    for d in p["byDepth"]:
        out[f"depth:{d['depth']}"] = d["count"]
    for r in p["byRelation"]:
        out[f"relation:{r['relation']}"] = r["count"]
    for x in p["topRelicensingPoints"]:
        out[f"relicensing:{x['parent']['id']}>{x['child']['id']}:downstream"] = x["downstreamCount"]
    return out


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_every_number_on_screen_equals_the_graphql_answer(real_page: Page, name: str) -> None:
    kind, ident = SCOPES[name]
    real_page.set_default_timeout(180_000)
    real_page.goto(f"/#{kind}={quote(ident, safe='')}")
    expect(real_page.locator("#summary")).to_contain_text(f"{kind}:{ident}", timeout=180_000)
    variables = {"root": None, "license": None, "term": None, kind: ident, "asOf": None, "limit": 300}
    answer = _graphql(real_page, DASHBOARD["propagation"], variables)["propagation"]
    assert isinstance(answer, dict) and answer["totalModels"] > 0, f"{name}: the snapshot has no such scope"
    expect(real_page.locator("#changes-window [data-count='changes:shown']")).to_have_count(1)  # the feed has answered
    since = f"{(datetime.now(UTC) - timedelta(days=90)).isoformat(timespec='seconds')}"
    changes = _graphql(real_page, DASHBOARD["changes"], {kind: ident, "since": since, "first": 20})["changes"]
    expected = _expected_counts(kind, ident, answer, changes)  # type: ignore[arg-type]

    shown = real_page.eval_on_selector_all(
        "[data-count]", "els => els.map(e => [e.dataset.count, Number(e.dataset.value), e.textContent, e.dataset.total ?? null])"
    )
    on_screen: dict[str, int] = {}
    for key, value, text, total in shown:
        assert key in expected, f"{name}: {key!r} on screen is no GraphQL number"
        assert value == expected[key], f"{name}: {key} shows {value}, GraphQL says {expected[key]}"
        assert f"{value:,}" in text, f"{name}: {key} says {text!r}, not {value:,}"
        if total is not None and key == "deploymentsListed":
            assert int(total) == answer["deploymentsReachedCount"]
        on_screen.setdefault(key, value)
    missing = {k for k in expected if not k.startswith(("relicensing:",))} - set(on_screen)
    assert not missing, f"{name}: numbers of the GraphQL answer not on screen: {sorted(missing)}"

    listed, total = len(answer["deploymentsReached"]), answer["deploymentsReachedCount"]
    if listed < total:  # a capped list says so
        expect(real_page.locator("#deployments-title")).to_contain_text(f"first {listed:,} of {total:,}")
        expect(real_page.locator("#summary")).to_contain_text(f"{total:,} deployments reached (first {listed:,} listed)")
    if answer["graph"]["truncated"]:
        expect(real_page.locator("#graph-note")).to_contain_text(f"first {len(answer['graph']['nodes']):,} of {answer['totalModels']:,}")
    if kind != "root":
        assert "root" not in real_page.locator("#graph-note").inner_text()
    else:  # a small family is drawn with every label readable (at least 9 px) and none overlapping
        labels = real_page.evaluate("() => window.lineageDashboard.graph.visibleLabels()")
        assert {label["id"] for label in labels} == {n["id"] for n in answer["graph"]["nodes"]}
        assert all(label["fontPx"] >= 9 for label in labels)
        boxes = [label["box"] for label in labels]
        assert not any(a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]
                       for i, a in enumerate(boxes) for b in boxes[i + 1:])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    real_page.screenshot(path=str(ARTIFACTS / f"40-real-{name}-1440.png"), full_page=True)

    # click the rule with most conflicts: its models in this scope, as many as the tally says
    if answer["conflictsByRule"]:
        top = max(answer["conflictsByRule"], key=lambda r: (r["conflicts"], r["models"]))
        real_page.locator(f"#conflicts [data-rule='{top['ruleId']}'][data-severity='{top['severity']}']").click()
        box = real_page.locator("#rule-models")
        expect(box.locator("[data-count='ruleConflicts:models']")).to_have_attribute("data-value", str(top["models"]))
        expect(box.locator("[data-count='ruleConflicts:shown']")).to_have_attribute("data-total", str(top["conflicts"]))
        assert box.locator("li").count() == min(top["conflicts"], 50)
        if top["conflicts"] > 50:  # the next page on request
            box.locator("#rule-models-more").click()
            expect(box.locator("li")).to_have_count(min(top["conflicts"], 100))
            expect(box.locator("[data-count='ruleConflicts:shown']")).to_have_attribute("data-value", str(min(top["conflicts"], 100)))
        real_page.screenshot(path=str(ARTIFACTS / f"41-real-{name}-rule.png"), full_page=False)

    # the export has one row per conflict of the scope
    href = real_page.locator("#export-csv").get_attribute("href") if answer["conflictsByRule"] else None
    if href is not None:
        exported = real_page.request.get(href, timeout=180_000)
        assert exported.ok and exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text())))
        assert len(rows) == expected["conflicts"]

    real_page.set_viewport_size({"width": 390, "height": 844})
    width = real_page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{name}: {width[0]} px wide at 390"
    real_page.screenshot(path=str(ARTIFACTS / f"40-real-{name}-390.png"), full_page=False)
