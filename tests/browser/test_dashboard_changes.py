"""The dashboard's "What changed" feed in headless Chromium against the stub API: the newest changes of
the selected scope as sentences, "More" for the next page, the empty state, errors kept in the feed.

What each scope should show is worked out here from the stub's records (tests/support/stub_changes.py)
by their scope fields and the 90-day window, independently of the page. Screenshots go to
test-artifacts/dashboard/.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.browser import ARTIFACTS, StubServer, expect
from tests.support.stub_api import family_of
from tests.support.stub_changes import INSTRUCT, STUB_CHANGES, StubChange

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

LLAMA = "meta-llama/Llama-3.1-8B"
LEGAL = "acme/Llama-3.1-8B-legal"
WINDOW = timedelta(days=90)
PAGE = 20


def sent(stub: StubServer) -> list[dict[str, Any]]:
    return [r.get("variables") or {} for r in stub.requests if "query DashboardChanges(" in r["query"]]


def expected(matches: Any) -> list[str]:
    """The ids of the stub's changes in the window that ``matches``, newest first (ties: higher id first)."""
    inside = [c for c in STUB_CHANGES if timedelta(hours=c.hours_ago) < WINDOW and matches(c)]
    return [c.id for c in sorted(inside, key=lambda c: (-c.hours_ago, c.id), reverse=True)]


def in_family(root: str) -> Any:
    members = {m.id for m in family_of(root)}
    return lambda c: c.model_id in members


def shown_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("#changes-list li", "els => els.map(e => e.dataset.change)")


def line(page: Page, change_id: str) -> Any:
    return page.locator(f"#changes-list li[data-change='{change_id}']")


def window_start_day() -> str:
    return (datetime.now(UTC) - WINDOW).date().isoformat()


def by_id(change_id: str) -> StubChange:
    return next(c for c in STUB_CHANGES if c.id == change_id)


def test_a_family_s_newest_changes_read_as_sentences_and_more_pages_on(
        page: Page, stub_server: StubServer, screenshot: Any) -> None:
    page.goto(f"/#root={LLAMA.replace('/', '%2F')}")
    want = expected(in_family(LLAMA))
    assert len(want) > PAGE, "the stub's family should fill more than a page"
    expect(page.locator("#changes-list li")).to_have_count(PAGE)
    assert shown_ids(page) == want[:PAGE]
    count = page.locator("#changes-window [data-count='changes:shown']")
    expect(count).to_have_text(f"newest {PAGE}")
    expect(count).to_have_attribute("data-value", str(PAGE))
    expect(page.locator("#changes-window")).to_contain_text(f"Changes recorded for root {LLAMA} since {window_start_day()} (the last 90 days)")

    first = sent(stub_server)[0]
    since = datetime.fromisoformat(first.pop("since"))
    assert abs((datetime.now(UTC) - WINDOW - since).total_seconds()) < 120, since
    assert first == {"root": LLAMA, "license": None, "term": None, "first": PAGE, "after": None}

    # one sentence per kind, from the details
    expect(line(page, "c01")).to_have_text(f"2 hours ago {LEGAL} — licence llama3.1 → mit (from 2024-09-01)")
    expect(line(page, "c02")).to_contain_text("conflict relicensed-without-flow-down (violation) opened")
    expect(line(page, "c02")).to_have_class("change sev-violation")
    expect(line(page, "c04")).to_contain_text(
        "effective terms changed: −llama3.1:mau-700m; licences in force +mit; drops llama3.1:attribution, "
        "llama3.1:aup; violates llama3.1:aup; commercial use conditional → allowed")
    expect(line(page, "c05")).to_contain_text("new deployment space:hf-demo/llama-chat")
    expect(line(page, "c06")).to_have_text(f"yesterday {LLAMA} — gated (manual)")
    expect(line(page, "c07")).to_contain_text("new derivative of meta-llama/Llama-3.1-8B-Instruct (adapter)")
    expect(line(page, "c08")).to_contain_text(f"added (listed), declares apache-2.0, derived from {INSTRUCT} (adapter)")
    expect(line(page, "c10")).to_have_text("4 days ago old/deleted-finetune — deleted")
    expect(line(page, "c11")).to_contain_text("conflict parent-gated-unverified resolved")
    expect(line(page, "c12")).to_contain_text("no longer derived from meta-llama/Llama-3.1-8B-Instruct")
    expect(line(page, "c13")).to_contain_text("no longer gated")
    # when: relative in the text, the instant itself in the title and the datetime attribute
    stamp = line(page, "c01").locator("time")
    instant = stamp.get_attribute("title")
    assert instant is not None and stamp.get_attribute("datetime") == instant
    assert abs((datetime.now(UTC) - timedelta(hours=2) - datetime.fromisoformat(instant)).total_seconds()) < 120
    screenshot("50-what-changed")

    # the model of a line, and the parent it names, select the model like everywhere else
    line(page, "c06").locator(f"button[data-model='{LLAMA}']").click()
    expect(page.locator("#panel-body h3")).to_have_text(LLAMA)
    line(page, "c07").locator("button[data-model='meta-llama/Llama-3.1-8B-Instruct']").click()
    expect(page.locator("#panel-body h3")).to_have_text("meta-llama/Llama-3.1-8B-Instruct")
    assert len(sent(stub_server)) == 1, "selecting a model does not reload the feed"

    page.click("#changes-more")
    expect(page.locator("#changes-list li")).to_have_count(len(want))
    assert shown_ids(page) == want
    expect(count).to_have_text(f"all {len(want)}")
    expect(page.locator("#changes-more")).to_have_count(0)
    more = sent(stub_server)[-1]
    assert more["after"] == f"newest:{PAGE}" and more["since"] == since.isoformat()
    expect(line(page, "c25")).to_contain_text("licence llama3.1 declared (from 2024-07-23)")
    assert "c26" not in shown_ids(page), "a change older than the window is not shown"
    expect(page.locator("#changes")).not_to_contain_text(by_id("c26").details["deployment"])
    screenshot("51-what-changed-more")


def test_licence_and_empty_scopes_and_errors_stay_in_the_feed(page: Page, stub_server: StubServer, screenshot: Any) -> None:
    page.goto("/#root=tiny%2Flonely-model")
    empty = page.locator("#changes-empty")
    expect(empty).to_have_text(f"No changes recorded for this scope since {window_start_day()}.")
    expect(page.locator("#changes-window [data-count='changes:shown']")).to_have_attribute("data-value", "0")
    expect(page.locator("#changes-window [data-count='changes:shown']")).to_have_text("0 changes")
    expect(page.locator("#changes-more")).to_have_count(0)
    screenshot("52-what-changed-empty")

    page.select_option("#license-select", "mit")
    want = expected(lambda c: "mit" in c.licenses)
    expect(page.locator("#changes-list li")).to_have_count(len(want))
    assert shown_ids(page) == want
    assert sent(stub_server)[-1]["license"] == "mit" and sent(stub_server)[-1]["root"] is None
    expect(page.locator("#changes-window")).to_contain_text("Changes recorded for licence mit since")

    page.select_option("#term-select", "llama3.1:aup")
    expect(page.locator("#changes-window")).to_contain_text("Changes recorded for term llama3.1:aup since")
    expect(page.locator("#changes-list li")).to_have_count(PAGE)
    assert shown_ids(page) == expected(lambda c: "llama3.1:aup" in c.terms)[:PAGE]

    # a licence no model declares: no results above, but the feed still answers for it
    page.select_option("#license-select", "gemma")
    expect(page.locator("#status")).to_have_text("No models in the licence gemma.")
    expect(page.locator("#changes-block")).to_be_visible()
    expect(empty).to_have_text(f"No changes recorded for this scope since {window_start_day()}.")

    # with a date picked, the feed says it still runs up to now
    page.goto(f"/#root={LLAMA.replace('/', '%2F')}&asOf=2024-08-15")
    expect(page.locator("#changes-window")).to_contain_text("The feed runs up to now, whatever the date picked above (2024-08-15).")

    # the API's error about the scope is shown in the feed, not as the page's error
    page.goto("/#root=nobody%2Fnone")
    expect(page.locator("#changes-block .error")).to_have_text(
        "Error from the API: scope.root 'nobody/none' is not a model Lineage knows")
    expect(page.locator("#error")).to_be_hidden()


def test_the_feed_fits_a_390_px_screen_after_the_tables(browser: Browser, stub_server: StubServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=stub_server.url)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"/#root={LLAMA.replace('/', '%2F')}")
        expect(page.locator("#changes-list li")).to_have_count(PAGE)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"page {widths[0]} px wide in a {widths[1]} px viewport"
        feed = page.locator("#changes-block").bounding_box()
        tables = page.locator("#tables").bounding_box()
        assert feed is not None and tables is not None
        assert feed["x"] >= 0 and feed["x"] + feed["width"] <= 390
        assert feed["y"] >= tables["y"] + tables["height"] - 1, "one column: the feed comes after the tables"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator("#changes-block").screenshot(path=str(ARTIFACTS / "53-what-changed-390.png"))
    finally:
        context.close()
