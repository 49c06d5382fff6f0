"""The dashboard's layout, labels and click-throughs in headless Chromium against the stub API:
no horizontal scroll from 390 px up with the model panel before the long tables, graph labels that
never overlap, a rule's models on click, the CSV export links. Screenshots of each view at each
width go to test-artifacts/dashboard/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.browser import ARTIFACTS, StubServer, click_node, expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

LLAMA = "meta-llama/Llama-3.1-8B"
LEGAL = "acme/Llama-3.1-8B-legal"
WIDTHS = (390, 768, 1440)
VIEWS = {
    "root": f"/#root={LLAMA.replace('/', '%2F')}",
    "licence": "/#license=mit",
    "term": "/#term=llama3.1%3Aaup",
    "model-panel": f"/#root={LLAMA.replace('/', '%2F')}&model={LEGAL.replace('/', '%2F')}",
    "wide": "/#root=synthetic%2Fbig-base",
}


@pytest.fixture
def sized(browser: Browser, stub_server: StubServer) -> Iterator[Any]:
    """``sized(width)``: a fresh page of that viewport width at the stub server."""
    contexts = []
    errors: list[str] = []

    def make(width: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 1000}, base_url=stub_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"uncaught script errors in the page: {errors}"


def _ready(page: Page, view: str) -> None:
    page.goto(VIEWS[view])
    expect(page.locator("#status")).to_have_text(re.compile(r"^Showing the "))
    if view == "model-panel":
        expect(page.locator("#panel-body [data-field=license]")).to_be_visible()


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[2] and widths[1] <= widths[2], f"page {widths[0]}/{widths[1]} px wide in a {widths[2]} px viewport"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_no_horizontal_scroll_and_the_panel_before_the_long_tables(sized: Any, width: int, view: str) -> None:
    page = sized(width)
    _ready(page, view)
    _no_horizontal_scroll(page)
    panel = page.locator("#panel").bounding_box()
    tables = page.locator("#tables").bounding_box()
    assert panel is not None and tables is not None
    if width < 900:  # one column: the panel comes right after the graph, above the charts and tables
        assert panel["y"] + panel["height"] <= tables["y"] + 1, (panel, tables)
    else:  # two columns: the panel beside the results
        assert panel["x"] >= tables["x"] + tables["width"] - 1 and panel["y"] < tables["y"]
    for table in page.locator("table").all():  # long tables are cut to their first rows until asked
        assert table.locator("tbody tr:visible").count() <= 15
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"30-{view}-{width}.png"), full_page=True)


def test_a_long_table_shows_its_first_rows_and_all_on_request(sized: Any) -> None:
    page = sized(390)
    page.goto(VIEWS["wide"])
    expect(page.locator("#total-models")).to_have_text("321 models")
    expect(page.locator("#node-list summary")).to_have_text("Models drawn, as a list (first 300 of 321)")
    page.goto(VIEWS["root"])
    expect(page.locator("#deployments tbody tr")).to_have_count(3)


@pytest.mark.parametrize("view", ["root", "wide"])
def test_graph_labels_never_overlap_and_are_readable_when_drawn(sized: Any, view: str) -> None:
    page = sized(1440)
    _ready(page, view)
    for zoom in (None, 1.0, 2.0):
        if zoom is not None:
            page.evaluate(f"() => window.lineageDashboard.graph.cy.zoom({zoom})")
        labels = page.evaluate("() => window.lineageDashboard.graph.visibleLabels()")
        boxes = [label["box"] for label in labels]
        for label in labels:
            assert label["fontPx"] >= 9, label
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not (a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]), (a, b)
        if view == "root" and zoom == 1.0:
            drawn = {label["id"] for label in labels}
            assert LLAMA in drawn  # the root's label, organisation included
            texts = page.evaluate("() => window.lineageDashboard.graph.cy.nodes().map(n => n.data('label'))")
            assert f"{LLAMA}" in texts and all("/" in t for t in texts)  # full ids, never the name alone


def test_licence_and_term_views_never_speak_of_a_root(sized: Any) -> None:
    page = sized(1440)
    for view in ("licence", "term"):
        _ready(page, view)
        assert "root" not in page.locator("#graph-note").inner_text()
        assert "root" not in page.locator("#summary").inner_text()


def test_clicking_a_rule_lists_its_models_in_the_scope_and_exports_them(sized: Any, stub_server: StubServer) -> None:
    page = sized(1440)
    _ready(page, "root")
    csv = page.locator("#export-csv")
    href = csv.get_attribute("href")
    assert href is not None and urlparse(href).path == "api/scopes/conflicts.csv"
    assert parse_qs(urlparse(href).query) == {"root": [LLAMA]}

    page.locator("#conflicts [data-rule='relicensed-without-flow-down']").click()
    box = page.locator("#rule-models")
    expect(box.locator("h3")).to_contain_text("relicensed-without-flow-down")
    expect(box.locator("li button")).to_have_count(2)
    assert box.locator("li button").all_inner_texts() == [LEGAL, "acme/Llama-3.1-8B-legal-AWQ"]
    expect(box.locator("[data-count='ruleConflicts:models']")).to_have_text("2 models")
    assert "rule=relicensed-without-flow-down" in page.url and "severity=VIOLATION" in page.url
    sent = [r["variables"] for r in stub_server.requests if "query DashboardRuleConflicts(" in r["query"]]
    assert sent[-1]["rule"] == "relicensed-without-flow-down" and sent[-1]["root"] == LLAMA
    rule_csv = parse_qs(urlparse(box.locator("a.rule-csv").get_attribute("href") or "").query)
    assert rule_csv == {"root": [LLAMA], "rule": ["relicensed-without-flow-down"], "severity": ["violation"]}
    page.screenshot(path=str(ARTIFACTS / "31-rule-models.png"), full_page=True)

    box.locator("li button").first.click()
    expect(page.locator("#panel-body h3")).to_have_text(LEGAL)
    page.reload()  # the list is part of the view's URL
    expect(page.locator("#rule-models li button")).to_have_count(2)
    page.locator("#rule-models-close").click()
    expect(page.locator("#rule-models li")).to_have_count(0)
    assert "rule=" not in page.url


def test_the_panel_shows_the_full_id_of_a_clicked_node_on_a_phone(sized: Any) -> None:
    page = sized(390)
    _ready(page, "root")
    click_node(page, LEGAL)
    expect(page.locator("#panel-body h3")).to_have_text(LEGAL)
    page.screenshot(path=str(ARTIFACTS / "32-panel-390.png"), full_page=False)


def test_hovering_a_model_shows_its_full_id(sized: Any) -> None:
    page = sized(1440)
    _ready(page, "root")
    graph = page.locator("#graph")
    graph.scroll_into_view_if_needed()
    pos = page.evaluate(
        "id => { const p = window.lineageDashboard.graph.cy.getElementById(id).renderedPosition(); return [p.x, p.y]; }", LEGAL
    )
    box = graph.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + pos[0], box["y"] + pos[1])
    tip = page.locator(".graph-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(f"{LEGAL} — mit, violation (✖)")
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    expect(tip).to_be_hidden()
