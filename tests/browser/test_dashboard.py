"""The dashboard page in headless Chromium against the stub API (see tests/support/stub_api.py).

Each test saves a screenshot of the view it reaches to test-artifacts/dashboard/.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.browser import ARTIFACTS, StubServer, click_node, expect, graph_node_ids

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.browser

LLAMA = "meta-llama/Llama-3.1-8B"
MISTRAL = "mistralai/Mistral-7B-v0.1"
LEGAL = "acme/Llama-3.1-8B-legal"


def bars(page: Page, chart: int) -> list[tuple[str, int]]:
    """(label, count) of each bar in the chart at that position, as drawn."""
    rows = page.eval_on_selector_all(
        f"#charts figure:nth-of-type({chart}) g.bar",
        "els => els.map(e => [e.dataset.label, e.querySelector('.bar-value').textContent])",
    )
    return [(label, int(value)) for label, value in rows]


def sent(stub: StubServer, operation: str) -> list[dict[str, Any]]:
    """Variables of each request of that operation the page sent."""
    return [r.get("variables") or {} for r in stub.requests if f"query {operation}(" in r["query"]]


def open_family(page: Page, root: str) -> None:
    page.goto("/")
    expect(page.locator("#root-select option")).to_have_count(4)  # placeholder + 3 roots
    page.select_option("#root-select", root)
    expect(page.locator("#summary")).to_contain_text(f"root:{root}")


def test_the_page_loads_its_pickers_and_shows_the_largest_family(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    page.goto("/")
    expect(page.locator("#summary")).to_contain_text(f"root:{LLAMA}")
    roots = page.eval_on_selector_all("#root-select option", "os => os.map(o => o.value)")
    assert roots == ["", LLAMA, MISTRAL, "tiny/lonely-model"]
    assert "cc-by-nc-4.0" in page.eval_on_selector_all("#license-select option", "os => os.map(o => o.value)")
    assert "llama3.1:aup" in page.eval_on_selector_all("#term-select option", "os => os.map(o => o.value)")
    expect(page.locator("#root-select")).to_have_value(LLAMA)
    assert page.url.endswith("#root=meta-llama%2FLlama-3.1-8B")
    assert sent(stub_server, "DashboardPickers") == [{"first": 200}]
    expect(page.locator("#status")).to_have_text(f"Showing the family of {LLAMA}.")
    screenshot("01-loaded")


def test_picking_a_family_draws_it_and_renders_its_counts(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    open_family(page, MISTRAL)
    expect(page.locator("#total-models")).to_have_text("3 models")
    assert bars(page, 1) == [("depth 0", 1), ("depth 1", 1), ("depth 2", 1)]
    assert bars(page, 2) == [("finetune", 1), ("quantized", 1)]
    assert graph_node_ids(page) == {MISTRAL, "HuggingFaceH4/zephyr-7b-beta", "TheBloke/zephyr-7B-beta-GGUF"}
    expect(page.locator("#conflicts")).to_have_count(0)
    expect(page.locator("#tables")).to_contain_text("No conflicts in this scope.")
    screenshot("02-family-mistral")

    page.select_option("#root-select", LLAMA)
    expect(page.locator("#total-models")).to_have_text("12 models")
    assert bars(page, 1) == [("depth 0", 1), ("depth 1", 3), ("depth 2", 5), ("depth 3", 3)]
    assert dict(bars(page, 2)) == {"finetune": 4, "quantized": 4, "adapter": 1, "merge": 1, "unknown": 1}
    assert len(graph_node_ids(page)) == 12
    assert page.evaluate("() => window.lineageDashboard.graph.cy.edges().length") == 12  # the merge has two parents
    flow = page.locator("#term-flow tr[data-term='llama3.1:attribution'] td")
    expect(flow.nth(1)).to_have_text("6")  # keep
    expect(flow.nth(2)).to_have_text("1")  # drop
    expect(flow.nth(3)).to_have_text("✖ 4")  # violate, marked in text, not only in colour
    expect(page.locator("#relicensing tbody tr")).to_have_count(2)
    expect(page.locator("#relicensing tbody tr").first).to_contain_text("llama3.1 → mit")
    expect(page.locator("#conflicts tbody tr").first).to_contain_text("✖ violation")
    # the stub lists at most 3 deployments (the real API 1,000) of the 4 reached: the page says so
    expect(page.locator("#deployments tbody tr")).to_have_count(3)
    expect(page.locator("#deployments-title")).to_have_text("Deployments reached (first 3 of 4, nearest first)")
    expect(page.locator("#summary [data-count=deploymentsReachedCount]")).to_have_text("4 deployments reached (first 3 listed)")
    expect(page.locator("#graph-note [data-count='drawn:violation']")).to_have_text("4 have a violation (✖, of any rule)")
    # conflicts and models per rule, each labelled (two models violate relicensed-without-flow-down, once each)
    relicensed = page.locator("#conflicts tr:has([data-rule='relicensed-without-flow-down']) td")
    expect(relicensed.nth(1)).to_have_text("2")
    expect(relicensed.nth(2)).to_have_text("2")
    expect(page.locator("#conflicts thead")).to_contain_text("Conflicts")
    expect(page.locator("#conflicts thead")).to_contain_text("Models with one or more")
    screenshot("03-family-llama")
    calls = sent(stub_server, "DashboardPropagation")
    assert {"root": MISTRAL, "license": None, "term": None, "asOf": None, "limit": 300} in calls


KNOWN_FROM_TEXT = {
    "CRAWLED": "crawled (the model itself read, 2024-10-01)",
    "LISTED": "the hub's listing only (2024-10-02): files, card text and configs not read yet",
}


def test_clicking_a_node_shows_its_panel_and_its_dossier_opens(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    open_family(page, LLAMA)
    click_node(page, LEGAL)
    panel = page.locator("#panel-body")
    expect(panel.locator("h3")).to_have_text(LEGAL)
    expect(panel.locator("[data-field=license]")).to_have_text("mit")
    expect(panel.locator("[data-field=commercial]")).to_contain_text("allowed")
    expect(panel.locator("[data-field=known-from]")).to_have_text(KNOWN_FROM_TEXT["LISTED"])  # (the stub: two levels down, listed only)
    expect(panel.locator(".conflict-list")).to_contain_text("relicensed-without-flow-down")
    expect(panel.locator(".conflict-list")).to_contain_text("✖ violation")
    assert page.evaluate("() => window.lineageDashboard.graph.cy.$(':selected').map(n => n.id())") == [LEGAL]
    assert sent(stub_server, "DashboardModel")[-1] == {"id": LEGAL, "asOf": None}
    screenshot("04-model-panel")

    with page.context.expect_page() as opened:
        panel.locator("#dossier-link").click()
    dossier = opened.value
    dossier.wait_for_load_state()
    url = urlparse(dossier.url)
    assert url.path == f"/investigations/{LEGAL}"
    assert parse_qs(url.query) == {"format": ["html"]}
    expect(dossier.locator("h1")).to_have_text(f"Dossier: {LEGAL}")
    dossier.screenshot(path=str(ARTIFACTS / "05-dossier.png"))
    dossier.close()

    with page.context.expect_page() as opened_by_double_click:
        click_node(page, LLAMA, double=True)
    assert urlparse(opened_by_double_click.value.url).path == f"/investigations/{LLAMA}"


def test_as_of_is_sent_to_propagation_and_shows_the_graph_of_that_day(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    open_family(page, LLAMA)
    expect(page.locator("#relicensing tbody tr")).to_have_count(2)
    page.fill("#asof", "2024-08-15")
    page.locator("#asof").dispatch_event("change")
    expect(page.locator("#summary")).to_contain_text("as of 2024-08-15")
    assert sent(stub_server, "DashboardPropagation")[-1]["asOf"] == "2024-08-15T23:59:59+00:00"
    # before acme relicensed as MIT, only the LoRA branch drops terms
    expect(page.locator("#relicensing tbody tr")).to_have_count(1)
    expect(page.locator("#graph-note [data-count='drawn:violation']")).to_have_text("2 have a violation (✖, of any rule)")
    click_node(page, LEGAL)
    expect(page.locator("#panel-body [data-field=license]")).to_have_text("llama3.1")
    assert sent(stub_server, "DashboardModel")[-1] == {"id": LEGAL, "asOf": "2024-08-15T23:59:59+00:00"}
    href = page.locator("#dossier-link").get_attribute("href")
    assert href == f"investigations/{LEGAL}?format=html&asOf=2024-08-15T23%3A59%3A59%2B00%3A00"
    screenshot("06-as-of")
    page.click("#asof-clear")
    expect(page.locator("#relicensing tbody tr")).to_have_count(2)
    assert sent(stub_server, "DashboardPropagation")[-1]["asOf"] is None


def test_search_finds_models_and_opens_their_panel(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    open_family(page, MISTRAL)
    page.fill("#search", "zephyr")
    page.press("#search", "Enter")
    results = page.locator("#search-results li button")
    expect(results).to_have_count(2)
    expect(page.locator("#search-results")).to_contain_text("2 models match “zephyr”")
    assert sent(stub_server, "DashboardSearch") == [{"search": "zephyr", "first": 20}]
    results.first.click()
    expect(page.locator("#panel-body h3")).to_have_text("HuggingFaceH4/zephyr-7b-beta")
    screenshot("07-search")
    page.fill("#search", "no-such-thing")
    page.press("#search", "Enter")
    expect(page.locator("#search-results")).to_contain_text("No model matches “no-such-thing”.")


def test_licence_and_term_scopes_and_the_empty_state(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    page.goto("/")
    expect(page.locator("#summary")).to_contain_text(f"root:{LLAMA}")
    page.select_option("#license-select", "mit")
    expect(page.locator("#summary")).to_contain_text("license:mit")
    expect(page.locator("#root-select")).to_have_value("")
    expect(page.locator("#total-models")).to_have_text("4 models")
    screenshot("08-licence-scope")
    page.select_option("#term-select", "llama3.1:aup")
    expect(page.locator("#summary")).to_contain_text("term:llama3.1:aup")
    expect(page.locator("#license-select")).to_have_value("")
    screenshot("09-term-scope")
    page.select_option("#license-select", "gemma")
    expect(page.locator("#status")).to_have_text("No models in the licence gemma.")
    expect(page.locator("#results")).to_be_hidden()
    screenshot("10-empty")
    page.goto("/#root=nobody%2Fnone")
    expect(page.locator("#status")).to_have_text("Nothing is known for the family of nobody/none.")
    expect(page.locator("#error")).to_be_hidden()


def test_errors_from_the_api_are_shown_with_their_message(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    def fail_propagation(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        if "query DashboardPropagation(" in body.get("query", ""):
            route.fulfill(status=200, content_type="application/json",
                          body=json.dumps({"data": None, "errors": [{"message": "Query timed out after 10 s (request id 4f2a)"}]}))
        else:
            route.continue_()

    page.route("**/graphql", fail_propagation)
    page.goto("/")
    alert = page.locator("#error")
    expect(alert).to_have_text("Error from the API: Query timed out after 10 s (request id 4f2a)")
    expect(alert).to_have_attribute("role", "alert")
    expect(page.locator("#results")).to_be_hidden()
    screenshot("11-api-error")

    page.unroute("**/graphql")
    page.route("**/graphql", lambda route: route.fulfill(status=502, content_type="text/plain", body="Bad Gateway"))
    page.reload()
    expect(alert).to_contain_text("The API answered 502")
    expect(alert).to_contain_text("Bad Gateway")


def test_loading_is_shown_while_the_api_answers(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    held: list[Route] = []

    def hold_propagation(route: Route) -> None:
        if "query DashboardPropagation(" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_propagation)
    page.goto("/")
    expect(page.locator("#status")).to_have_text(f"Loading the family of {LLAMA}…")
    expect(page.locator("#results")).to_have_attribute("aria-busy", "true")
    screenshot("12-loading")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#status")).to_have_text(f"Showing the family of {LLAMA}.")
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")


def test_the_page_is_usable_from_the_keyboard(page: Page, stub_server: StubServer) -> None:
    open_family(page, MISTRAL)
    for control in ("#root-select", "#license-select", "#term-select", "#asof", "#search"):
        label = page.locator(f"label[for='{control[1:]}']")
        expect(label).to_have_count(1)
    page.focus("#root-select")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "license-select"
    page.focus("#graph")
    before = page.evaluate("() => window.lineageDashboard.graph.cy.zoom()")
    page.keyboard.press("+")
    assert page.evaluate("() => window.lineageDashboard.graph.cy.zoom()") > before
    page.locator("#node-list summary").focus()
    page.keyboard.press("Enter")
    button = page.locator(f"#node-list button[data-model='{MISTRAL}']")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-body h3")).to_have_text(MISTRAL)


def test_a_wide_family_is_drawn_truncated_in_rings(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    page.goto("/#root=synthetic%2Fbig-base")
    expect(page.locator("#total-models")).to_have_text("321 models")
    expect(page.locator("#graph-note")).to_contain_text("Drawing the first 300 of 321 models (nearest depths first).")
    expect(page.locator("#graph-note")).to_contain_text("drawn in rings by depth around the root")
    expect(page.locator("#node-list summary")).to_have_text("Models drawn, as a list (first 300 of 321)")
    assert len(graph_node_ids(page)) == 300
    assert page.evaluate("() => window.lineageDashboard.graph.layout") == "rings"
    assert bars(page, 1) == [("depth 0", 1), ("depth 1", 250), ("depth 2", 70)]
    screenshot("13-wide-family")
    click_node(page, "synthetic/child-050")
    expect(page.locator("#panel-body h3")).to_have_text("synthetic/child-050")
