"""The bundled GraphiQL without a browser: its routes, the dispatch of /graphql, the committed bundle."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.graphiql import PAGE_SECURITY_POLICY, STATIC_DIR, BrowserDispatch, build_router, router
from api.graphiql.dispatch import wants_ide

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "dashboard" / "graphiql"
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)

    @app.api_route("/graphql", methods=["GET", "POST"])
    async def graphql() -> dict[str, str]:  # stands in for the GraphQL endpoint
        return {"answered": "graphql"}

    app.add_middleware(BrowserDispatch, graphql_path="/graphql", page_path="/graphiql")
    return TestClient(app)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(graphiql/static/[^"]+)"', html)


@pytest.mark.parametrize(
    ("method", "query", "accept", "ide"),
    [
        ("GET", b"", HTML, True),
        ("HEAD", b"", HTML, True),
        ("GET", b"query=%7B__typename%7D", HTML, False),  # a query in the URL is run, not edited
        ("GET", b"", "application/json", False),
        ("GET", b"", "*/*", False),  # curl
        ("POST", b"", HTML, False),
    ],
)
def test_only_a_browser_opening_graphql_gets_the_ide(method: str, query: bytes, accept: str, ide: bool) -> None:
    scope = {"type": "http", "method": method, "query_string": query, "headers": [(b"accept", accept.encode())]}
    assert wants_ide(scope) is ide


def test_the_page_is_served_at_both_addresses_and_json_clients_reach_graphql(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": HTML})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == PAGE_SECURITY_POLICY
    assert page.headers["cache-control"] == "no-cache"
    assert client.get("/graphiql").text == page.text
    assert client.get("/graphql", headers={"Accept": "application/json"}).json() == {"answered": "graphql"}
    assert client.get("/graphql?query={__typename}", headers={"Accept": HTML}).json() == {"answered": "graphql"}
    assert client.post("/graphql", headers={"Accept": HTML}).json() == {"answered": "graphql"}


def test_assets_are_versioned_immutable_and_gzipped(client: TestClient) -> None:
    urls = _asset_urls(client.get("/graphiql").text)
    assert sorted(u.split("?")[0] for u in urls) == ["graphiql/static/graphiql.css", "graphiql/static/graphiql.js"]
    for url in urls:
        name, version = url.removeprefix("graphiql/static/").split("?v=")
        body = (STATIC_DIR / name).read_bytes()
        assert version == hashlib.sha256(body).hexdigest()[:12]
        answer = client.get("/" + url, headers={"Accept-Encoding": "gzip"})
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.content == body  # httpx decodes the gzip it asked for
        assert answer.headers["content-encoding"] == "gzip"
        raw = client.get(f"/graphiql/static/{name}", headers={"Accept-Encoding": "identity"})
        assert raw.headers["cache-control"] == "no-cache" and raw.content == body
        again = client.get(f"/graphiql/static/{name}", headers={"If-None-Match": raw.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert client.get("/graphiql/static/nothing.js").status_code == 404
    assert client.get("/graphiql/static/index.html").status_code == 404


def test_a_missing_bundle_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI()
    app.include_router(build_router(tmp_path))
    answer = TestClient(app).get("/graphiql")
    assert answer.status_code == 503 and "scripts/build-graphiql" in answer.text


def test_the_bundle_boots_from_its_own_script_and_loads_nothing_from_elsewhere() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    js = (STATIC_DIR / "graphiql.js").read_text()
    css = (STATIC_DIR / "graphiql.css").read_text()
    # one script element, the bundle's: the boot code is in it, nothing inline
    assert re.findall(r"<script[^>]*>", html) == re.findall(r'<script src="graphiql/static/graphiql\.js\?v=[0-9a-f]{12}" defer>', html)
    assert html.count("<script") == 1 and re.search(r"<script[^>]*>\s*</script>", html)
    assert "style=" not in html and "<style" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css)
    assert "unpkg.com" not in js and "jsdelivr" not in js
    assert len(js.encode()) + len(css.encode()) < 4 * 1024 * 1024


def test_the_committed_bundle_was_built_from_the_current_source() -> None:
    info = json.loads((STATIC_DIR / "build-info.json").read_text())
    current = sorted(["build.mjs", "package.json", "package-lock.json", *(f"src/{p.name}" for p in (SOURCE / "src").iterdir())])
    assert current == info["sources"], "GraphiQL sources were added or removed: run scripts/build-graphiql"
    digest = hashlib.sha256()
    for rel in current:
        digest.update(rel.encode() + b"\0" + (SOURCE / rel).read_bytes() + b"\0")
    assert digest.hexdigest() == info["sourceSha256"], "dashboard/graphiql/ changed since the bundle was built: run scripts/build-graphiql"
    assert {"graphiql", "react", "react-dom"} <= set(info["packages"])
