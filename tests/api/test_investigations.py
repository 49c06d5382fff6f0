"""``GET /investigations/…`` and ``GET /investigations/by-file/…`` over HTTP, against the real Neo4j
holding real families of the bundled snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import quote

import httpx
import pytest
from markdown_it import MarkdownIt
from neo4j import Driver

from crawler.observations import DeclaredLicense, DerivationSeen, EvidenceKind, ModelSeen, Relation, Source
from reports.dossier import SCHEMA_VERSION, content_hash
from graph.writer import GraphWriter
from tests.support.families import GGUF, GGUF_BASE, GGUF_PARENT, RELICENSED, Families, written_families

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

HOSTILE = "evil-org/<script>alert(1)</script>`|[x](javascript:alert(2))"
HOSTILE_RAW = "<img src=x onerror=alert(3)>"
HOSTILE_DETAIL = "Original model: [gemma](javascript:alert(4)) <iframe src=//evil.test></iframe> | # h"


@pytest.fixture(scope="module")
def families(neo4j_driver: Driver) -> Iterator[Families]:
    """The families, and a model whose id, licence and evidence are hostile markup."""
    with written_families(neo4j_driver) as found:
        at = datetime(2025, 2, 1, tzinfo=UTC)
        source = Source(f"https://hub.test/api/models/{HOSTILE}", "deadbeef", at)
        GraphWriter(neo4j_driver).write(
            [
                ModelSeen(id=HOSTILE, source=source, declared_license=DeclaredLicense(HOSTILE_RAW), author="evil-org"),
                DerivationSeen(child_id=HOSTILE, parent_id=GGUF, relation=Relation.QUANTIZED,
                               evidence_kind=EvidenceKind.CARD_TEXT, evidence_detail=HOSTILE_DETAIL, confidence=0.7,
                               source=source),
            ],
            run_id="hostile",
        )
        yield found


def _path(model_id: str) -> str:
    return "/investigations/" + quote(model_id, safe="/")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


async def test_the_three_formats_carry_the_same_dossier(client: httpx.AsyncClient) -> None:
    as_json = await client.get(_path(GGUF), params={"format": "json"})
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["content-type"] == "application/json"
    data = as_json.json()
    assert data["schema"] == "lineage-dossier" and data["schema_version"] == SCHEMA_VERSION == 2
    assert list(data) == sorted(data), "keys are sorted"
    assert data["subject"] == GGUF
    assert [s["model"] for s in data["chain"]] == [GGUF, GGUF, GGUF_PARENT, GGUF_BASE]
    assert [s["role"] for s in data["chain"]] == ["user", "redistributor", "fine_tuner", "original_provider"]
    content = {k: v for k, v in data.items() if k not in ("content_hash", "generated_at")}
    assert content_hash(content) == data["content_hash"] == as_json.headers["x-content-hash"]

    as_md = await client.get(_path(GGUF), params={"format": "md"})
    assert as_md.status_code == 200 and as_md.headers["content-type"].startswith("text/markdown")
    md = as_md.text
    assert md.index("## Summary") < md.index("## Chain of parties and roles") < md.index("## Evidence")
    summary = md.split("## Summary", 1)[1].split("##", 1)[0]
    assert f"`{GGUF}` is a quantization of `{GGUF_PARENT}`, published by `bartowski`." in summary
    assert data["content_hash"] in md

    as_html = await client.get(_path(GGUF), params={"format": "html"})
    assert as_html.status_code == 200 and as_html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in as_html.headers["content-security-policy"]
    page = _tags(as_html.text)
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert all(v is None or not v.startswith(("//", "javascript")) for _, v in page.attrs)
    rendered_md = _tags(MarkdownIt("commonmark").enable("table").render(md))
    html_text = " ".join("".join(page.text).split())
    md_text = " ".join("".join(rendered_md.text).split())
    for sentence in data["summary"]:
        assert sentence in html_text and sentence in md_text
    for row in data["evidence"]:
        assert row["fact"] in html_text and row["fact"] in md_text
    assert data["content_hash"] in as_html.text


async def test_as_of_gives_the_licence_in_force_then(client: httpx.AsyncClient) -> None:
    before = (await client.get(_path(RELICENSED), params={"asOf": "2024-09-01T00:00:00Z"})).json()
    after = (await client.get(_path(RELICENSED), params={"asOf": "2024-11-01"})).json()
    assert before["models"][0]["license"] == "apache-2.0"
    assert after["models"][0]["license"] == "llama3.1"
    assert before["as_of"] == "2024-09-01T00:00:00Z" and after["as_of"] == "2024-11-01T00:00:00Z"
    assert before["content_hash"] != after["content_hash"]


async def test_the_dashboards_link_opens_the_dossier(client: httpx.AsyncClient) -> None:
    # as api/dashboard builds it: each id segment encoded, asOf the end of the picked day
    link = "investigations/" + "/".join(quote(p, safe="") for p in RELICENSED.split("/"))
    response = await client.get("/" + link + "?format=html&asOf=2024-09-01T23%3A59%3A59%2B00%3A00")
    assert response.status_code == 200, response.text
    assert "<code>apache-2.0</code>" in response.text
    unencoded = await client.get("/" + link + "?format=html&asOf=2024-09-01T23:59:59+00:00")  # '+' read as a space
    assert unencoded.status_code == 200, unencoded.text


async def test_a_weight_file_sha256_finds_the_model(client: httpx.AsyncClient, families: Families) -> None:
    response = await client.get(f"/investigations/by-file/{families.weights_sha256}")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["subject"] == GGUF and data["file"]["sha256"] == families.weights_sha256
    assert data["file"]["holders"][0]["name"] == "gemma-2-9b-it-Q4_K_M.gguf"
    md = await client.get(f"/investigations/by-file/{families.weights_sha256.upper()}", params={"format": "md"})
    assert md.status_code == 200 and "## The weight file" in md.text


async def test_hostile_ids_and_evidence_are_escaped(client: httpx.AsyncClient) -> None:
    data = (await client.get(_path(HOSTILE))).json()
    assert data["subject"] == HOSTILE
    assert any(e["detail"] and HOSTILE_DETAIL in e["detail"] for e in data["evidence"])
    page = (await client.get(_path(HOSTILE), params={"format": "html"})).text
    parsed = _tags(page)
    assert not {"script", "img", "iframe"} & set(parsed.tags)
    assert not any(name.startswith("on") or name == "src" for name, _ in parsed.attrs)
    assert all(v is None or not v.startswith("javascript") for _, v in parsed.attrs)
    text = "".join(parsed.text)
    assert HOSTILE in text and HOSTILE_RAW in text
    md = (await client.get(_path(HOSTILE), params={"format": "md"})).text
    rendered = _tags(MarkdownIt("commonmark").enable("table").render(md))
    assert not {"script", "img", "iframe"} & set(rendered.tags)
    assert all(v is None or not v.startswith("javascript") for _, v in rendered.attrs)
    assert HOSTILE in "".join(rendered.text)


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/investigations/nobody/nothing", {}, 404, "model_not_found"),
        ("/investigations/by-file/" + "0" * 64, {}, 404, "file_not_found"),
        ("/investigations/by-file/not-a-sha", {}, 422, "invalid_argument"),
        (_path(GGUF), {"asOf": "2999-01-01T00:00:00Z"}, 422, "invalid_as_of"),
        (_path(GGUF), {"asOf": "last tuesday"}, 422, "invalid_as_of"),
        (_path(RELICENSED), {"asOf": "2020-01-01"}, 404, "not_yet_known"),
        (_path(GGUF), {"format": "pdf"}, 422, "invalid_format"),
        ("/aibom/nobody/nothing", {}, 404, "model_not_found"),
        ("/aibom/" + GGUF, {"asOf": "soon"}, 422, "invalid_as_of"),
    ],
)
async def test_bad_requests_get_a_clear_json_error(
    client: httpx.AsyncClient, path: str, params: dict[str, str], status: int, code: str
) -> None:
    response = await client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = json.loads(response.text)
    assert body["error"] == code and body["message"]
    if code == "invalid_as_of":
        assert ("future" in body["message"]) or ("ISO 8601" in body["message"])
    if code == "not_yet_known":  # what GraphQL says in NOT_KNOWN_AT_INSTANT's extensions
        assert body["modelId"] == RELICENSED and body["asOf"] == "2020-01-01T00:00:00+00:00"
        assert datetime.fromisoformat(body["knownSince"]) > datetime.fromisoformat(body["asOf"])
        assert body["message"] == f"{RELICENSED} is not known before {body['knownSince']} (asOf {body['asOf']})"
