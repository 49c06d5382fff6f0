"""Render a :class:`~reports.document.Document` as one self-contained HTML page.

No script, no external asset (the style sheet is inline), a Content-Security-Policy that
forbids loading anything, and every value escaped with :func:`html.escape`; only plain
http(s) URLs become links (``rel="noopener noreferrer nofollow"``).
"""

from __future__ import annotations

from html import escape

from reports.document import (
    Block,
    BulletList,
    Code,
    Document,
    Heading,
    Inline,
    Link,
    Para,
    Strong,
    Table,
    Text,
)
from reports.markdown import SAFE_URL

__all__ = ["CSP", "render_html"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"

_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232a;max-width:72rem;
margin:2rem auto;padding:0 1.2rem}
h1{font-size:1.5rem;margin-bottom:.4rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d5dbe1;padding-bottom:.2rem}
h3{font-size:1.02rem;margin-top:1.2rem}
code{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f1f3f5;padding:0 .25rem;border-radius:3px;
overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:13px}
th,td{border:1px solid #d5dbe1;padding:.3rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f6f8fa}a{color:#0b5cad}ul{padding-left:1.3rem}li{margin:.15rem 0}
@media print{body{max-width:none;margin:0}a{color:inherit}}
"""


def _inline(pieces: tuple[Inline, ...]) -> str:
    out = []
    for piece in pieces:
        if isinstance(piece, Text):
            out.append(escape(piece.text))
        elif isinstance(piece, Strong):
            out.append(f"<strong>{escape(piece.text)}</strong>")
        elif isinstance(piece, Code):
            out.append(f"<code>{escape(piece.text)}</code>")
        elif isinstance(piece, Link):
            if SAFE_URL.match(piece.url):
                url = escape(piece.url, quote=True)
                out.append(f'<a href="{url}" rel="noopener noreferrer nofollow">{escape(piece.url)}</a>')
            else:
                out.append(f"<code>{escape(piece.url)}</code>")
    return "".join(out)


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = max(1, min(block.level, 6))
        return f"<h{level}>{_inline(block.content)}</h{level}>"
    if isinstance(block, Para):
        return f"<p>{_inline(block.content)}</p>"
    if isinstance(block, BulletList):
        return "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
        rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    raise TypeError(f"unknown block {block!r}")  # pragma: no cover - Block is a closed union


def render_html(document: Document) -> str:
    """The document as a complete HTML page (UTF-8)."""
    body = "\n".join(_block(b) for b in document.blocks)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{escape(CSP, quote=True)}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{escape(document.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
