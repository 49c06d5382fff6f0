"""Markdown and HTML renderers of the dossier document: every value escaped, nothing external."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from reports.document import Code, Document, Link, Strong, Text
from reports.html import render_html
from reports.markdown import render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "evil/`name` | with pipe",
    "[click](javascript:alert(1))",
    "# heading\n- item\n\n| a | b |",
    "**bold** _em_ ~~del~~ &amp; &lt;",
    "1. not a list",
    "- not a list",
    "``double`` back`ticks`",
]


def _document(value: str) -> Document:
    doc = Document(title=value)
    doc.h(1, "Dossier: ", Code(value))
    doc.p(Text(value), Text(" / "), Code(value), Text(" / "), Strong(value))
    doc.p(Text(value))
    doc.ul([[Text(value)], [Code(value)]])
    rows = [(Code(value), value, Link(value)), (value, Code(value), Link("javascript:alert(1)"))]
    doc.table(("Model", "Text", "Source"), rows)
    return doc


class _Collect(HTMLParser):
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


def _parse(html: str) -> _Collect:
    parser = _Collect()
    parser.feed(html)
    return parser


SAFE_TAGS = {
    "h1", "h2", "h3", "p", "code", "strong", "em", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a",
}


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_shows_hostile_values_as_text(value: str) -> None:
    text = render_markdown(_document(value))
    html = MarkdownIt("commonmark").enable("table").render(text)
    parsed = _parse(html)
    assert set(parsed.tags) <= SAFE_TAGS, parsed.tags
    assert all(not (v or "").lower().startswith("javascript") for _, v in parsed.attrs)
    assert not any(name.startswith("on") for name, _ in parsed.attrs)
    flat = " ".join(value.split())
    shown = "".join(parsed.text)
    assert flat in shown or flat.strip() in shown  # the value reads back verbatim (line breaks become spaces)
    assert parsed.tags.count("h1") == 1 and "ol" not in parsed.tags
    # the table keeps its three columns whatever the cells hold
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL)
    assert len(rows) == 3 and all(r.count("<td>") + r.count("<th>") == 3 for r in rows)


@pytest.mark.parametrize("value", HOSTILE)
def test_html_escapes_every_value_and_loads_nothing(value: str) -> None:
    page = render_html(_document(value))
    parsed = _parse(page)
    body_tags = set(parsed.tags) - {"html", "head", "meta", "title", "style", "body"}
    assert body_tags <= SAFE_TAGS, body_tags
    for name, attr in parsed.attrs:
        assert not name.startswith("on")
        if name == "href":
            assert attr is not None and attr.startswith(("http://", "https://"))
    assert not any(name == "src" for name, _ in parsed.attrs)
    assert "<script" not in page.lower() and "url(" not in page
    assert " ".join(value.split()) in " ".join("".join(parsed.text).split()) or value in "".join(parsed.text)


def test_plain_http_urls_become_links_and_others_stay_text() -> None:
    doc = Document(title="t")
    doc.p(Link("https://huggingface.co/api/models/org/name"), Text(" "), Link("javascript:alert(1)"),
          Text(" "), Link("http://x.test/a b"))
    md = render_markdown(doc)
    assert "<https://huggingface.co/api/models/org/name>" in md
    assert "`javascript:alert(1)`" in md and "`http://x.test/a b`" in md
    page = render_html(doc)
    assert 'href="https://huggingface.co/api/models/org/name"' in page
    assert page.count("href=") == 1
