"""The dashboard router over HTTP (no browser): content types, cache headers, and the committed bundle."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.dashboard import STATIC_DIR, build_router, router

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "dashboard"


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(static/[^"]+)"', html)


def test_index_is_html_revalidated_and_locked_to_its_own_origin(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert "connect-src 'self'" in response.headers["content-security-policy"]
    assert "<title>Lineage" in response.text


def test_assets_have_their_content_types_and_versioned_urls_are_immutable(client: TestClient) -> None:
    urls = _asset_urls(client.get("/").text)
    assert sorted(u.split("?")[0] for u in urls) == ["static/app.css", "static/app.js"]
    types = {"static/app.js": "text/javascript; charset=utf-8", "static/app.css": "text/css; charset=utf-8"}
    for url in urls:
        versioned = client.get(f"/{url}")
        assert versioned.status_code == 200
        assert versioned.headers["content-type"] == types[url.split("?")[0]]
        assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert versioned.headers["x-content-type-options"] == "nosniff"
        unversioned = client.get(f"/{url.split('?')[0]}")
        assert unversioned.headers["cache-control"] == "no-cache"
        assert unversioned.content == versioned.content


def test_index_names_the_current_version_of_each_asset(client: TestClient) -> None:
    for url in _asset_urls(client.get("/").text):
        name, version = url.removeprefix("static/").split("?v=")
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12] == version


def test_etag_revalidation_answers_304_without_a_body(client: TestClient) -> None:
    first = client.get("/static/app.js")
    again = client.get("/static/app.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    changed = client.get("/static/app.js", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_gzip_is_served_when_accepted_and_decodes_to_the_file(client: TestClient) -> None:
    raw = (STATIC_DIR / "app.js").read_bytes()
    response = client.get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == raw  # the client decodes it
    assert int(response.headers["content-length"]) < len(raw) / 2
    plain = client.get("/static/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == raw


def test_head_has_headers_and_no_body(client: TestClient) -> None:
    response = client.head("/static/app.css", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["content-length"]) == (STATIC_DIR / "app.css").stat().st_size


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/..%2Froutes.py", "/static/../routes.py", "/static/index.html"])
def test_unknown_and_escaping_paths_are_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_missing_bundle_says_how_to_build_it(tmp_path: Path) -> None:
    app = FastAPI()
    app.include_router(build_router(tmp_path / "absent"))
    response = TestClient(app).get("/")
    assert response.status_code == 503
    assert "scripts/build-dashboard" in response.json()["detail"]


def test_the_bundle_is_small_and_loads_nothing_from_elsewhere() -> None:
    js = (STATIC_DIR / "app.js").read_text()
    css = (STATIC_DIR / "app.css").read_text()
    html = (STATIC_DIR / "index.html").read_text()
    assert len(js.encode()) + len(css.encode()) < 1.5 * 1024 * 1024
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert 'fetch("graphql"' in js or "fetch('graphql'" in js  # relative, so it works under any host


def test_the_committed_bundle_was_built_from_the_current_source() -> None:
    info = json.loads((STATIC_DIR / "build-info.json").read_text())
    digest = hashlib.sha256()
    current = sorted(["build.mjs", "package.json", "package-lock.json", *(f"src/{p.name}" for p in (SOURCE / "src").iterdir())])
    assert current == info["sources"], "dashboard sources were added or removed: run scripts/build-dashboard"
    for rel in current:
        digest.update(rel.encode() + b"\0" + (SOURCE / rel).read_bytes() + b"\0")
    assert digest.hexdigest() == info["sourceSha256"], "dashboard/ changed since the bundle was built: run scripts/build-dashboard"
