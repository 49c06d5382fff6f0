"""The bundled GraphiQL in headless Chromium against the real API, with every other host blocked.

The page must render and run a query with no network beyond 127.0.0.1, violate no part of its
Content-Security-Policy, and keep a header typed in the headers editor (an API key) out of
``localStorage`` while still sending it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from api.app import create_app
from api.settings import ApiSettings
from terms.licenses import default_catalog
from graph.settings import Neo4jSettings
from tests.support.browser import ARTIFACTS, served_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Route

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SECRET = "graphiql-test-secret-4c1d7e9a2b8f6035d1e4"
QUERY = "{ licenses { id } }"


@pytest.fixture(scope="module")
def api_url(neo4j_settings: Neo4jSettings, redis_url: str) -> Iterator[str]:
    app = create_app(ApiSettings(redis_url=redis_url, graphiql=True), Neo4jSettings(uri=neo4j_settings.uri))
    with served_in_thread(app, "graphiql-api") as url:
        yield url


class Offline:
    """What the page tried to reach elsewhere (blocked), and the CSP violations it reported."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.violations: list[str] = []

    def route(self, route: Route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


@pytest.fixture
def offline_page(browser: Browser, api_url: str) -> Iterator[tuple[Page, Offline]]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=api_url)
    offline = Offline()
    context.route("**/*", offline.route)
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: offline.violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        yield page, offline
    finally:
        context.close()
    assert not errors, f"uncaught script errors in the page: {errors}"


def _editor(page: Page, selector: str) -> Any:
    return page.locator(f"{selector} .CodeMirror").first


def _set_query(page: Page, text: str) -> None:
    page.eval_on_selector(".graphiql-query-editor .CodeMirror", "(el, text) => el.CodeMirror.setValue(text)", text)


def _runs(request: Request, query: str) -> bool:
    """The POST to /graphql that runs ``query`` (GraphiQL also posts its introspection query)."""
    if urlparse(request.url).path != "/graphql" or request.method != "POST":
        return False
    return json.loads(request.post_data or "{}").get("query") == query


def _storage(page: Page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]))")


def test_graphiql_renders_offline_and_runs_a_query(offline_page: tuple[Page, Offline]) -> None:
    from playwright.sync_api import expect

    page, offline = offline_page
    page.goto("graphql")  # what the dashboard links to; a browser sends Accept: text/html
    expect(_editor(page, ".graphiql-query-editor")).to_be_visible()
    assert urlparse(page.url).path == "/graphql"

    _set_query(page, QUERY)
    with page.expect_response(lambda r: _runs(r.request, QUERY)) as answer:
        page.locator(".graphiql-execute-button").click()
    body = answer.value.json()
    expected = sorted(entry.id for entry in default_catalog())
    assert [row["id"] for row in body["data"]["licenses"]] == expected
    result = page.locator(".graphiql-response .CodeMirror")
    expect(result).to_contain_text('"licenses"')
    expect(result).to_contain_text(json.dumps(expected[0]))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "30-graphiql.png"))

    page.get_by_role("button", name="Open settings dialog").click()  # a dialog: portals, focus lock
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Show Documentation Explorer").click()  # the schema it fetched
    expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query")
    assert offline.blocked == []
    assert offline.violations == [] and page.evaluate("window.__csp") == []


def test_headers_typed_in_the_editor_are_sent_but_never_stored(offline_page: tuple[Page, Offline]) -> None:
    from playwright.sync_api import expect

    page, offline = offline_page
    page.goto("graphiql")
    expect(_editor(page, ".graphiql-query-editor")).to_be_visible()
    _set_query(page, QUERY)

    page.get_by_role("button", name="Headers").click()
    headers = page.get_by_role("region", name="Headers").locator(".graphiql-editor:not(.hidden) .CodeMirror")
    expect(headers).to_be_visible()
    headers.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(json.dumps({"Authorization": f"Bearer {SECRET}"}))
    with page.expect_request(lambda r: _runs(r, QUERY)) as sent:
        page.locator(".graphiql-execute-button").click()
    assert sent.value.headers.get("authorization") == f"Bearer {SECRET}"
    expect(page.locator(".graphiql-response .CodeMirror")).to_contain_text('"licenses"')

    page.wait_for_timeout(700)  # GraphiQL debounces its writes to storage
    stored = _storage(page)
    assert any(QUERY in value for value in stored.values()), f"the query is not stored at all: {stored}"
    leaked = {key: value for key, value in stored.items() if SECRET in value or "Authorization" in value}
    assert leaked == {}, f"headers reached localStorage: {leaked}"

    page.reload()  # a new visit starts with an empty headers editor
    expect(_editor(page, ".graphiql-query-editor")).to_be_visible()
    assert SECRET not in page.content()
    assert offline.blocked == []
    assert offline.violations == [] and page.evaluate("window.__csp") == []
