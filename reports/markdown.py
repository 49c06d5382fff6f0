"""Render a :class:`~reports.document.Document` as CommonMark/GFM text.

Every value is escaped for Markdown: plain text has its punctuation that could start markup
backslash-escaped, identifiers go into code spans fenced by more backticks than they contain,
URLs become autolinks only when they are plain http(s) URLs (else code), line breaks inside a
value become spaces, and ``|`` is escaped inside table cells.
"""

from __future__ import annotations

import re

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

__all__ = ["SAFE_URL", "render_markdown"]

SAFE_URL = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^(?:([#+=-])|(\d+)([.)]))")
_SPACE = re.compile(r"\s+")


def _flat(value: str) -> str:
    """Line breaks and runs of white space inside a value become one space."""
    return _SPACE.sub(" ", value)


def _text(value: str) -> str:
    """Plain text with inline markup characters escaped ("|" too, so table cells are safe)."""
    return _SPECIAL.sub(r"\\\1", _flat(value))


def _guard(line: str) -> str:
    """Escape what would make a rendered line start a heading, list or rule."""
    found = _LINE_START.match(line)
    if not found:
        return line
    if found.group(1):
        return "\\" + line
    return found.group(2) + "\\" + line[len(found.group(2)) :]


def _code(value: str, in_table: bool) -> str:
    text = _flat(value).strip() or " "
    if in_table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _inline(pieces: tuple[Inline, ...], in_table: bool = False) -> str:
    out = []
    for piece in pieces:
        if isinstance(piece, Text):
            out.append(_text(piece.text))
        elif isinstance(piece, Strong):
            core = piece.text.strip()  # emphasis must not open or close next to a space
            lead = piece.text[: len(piece.text) - len(piece.text.lstrip())]
            trail = piece.text[len(piece.text.rstrip()) :]
            out.append(_text(lead) + (f"**{_text(core)}**" if core else "") + _text(trail))
        elif isinstance(piece, Code):
            out.append(_code(piece.text, in_table))
        elif isinstance(piece, Link):
            linkable = SAFE_URL.match(piece.url) is not None
            out.append(f"<{piece.url}>" if linkable else _code(piece.url, in_table))
    return "".join(out)


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * max(1, min(block.level, 6)) + " " + _inline(block.content)
    if isinstance(block, Para):
        return _guard(_inline(block.content))
    if isinstance(block, BulletList):
        return "\n".join("- " + _guard(_inline(item)) for item in block.items)
    if isinstance(block, Table):
        head = "| " + " | ".join(_text(h) for h in block.headers) + " |"
        rule = "|" + "|".join(" --- " for _ in block.headers) + "|"
        rows = ["| " + " | ".join(_inline(cell, True) for cell in row) + " |" for row in block.rows]
        return "\n".join([head, rule, *rows])
    raise TypeError(f"unknown block {block!r}")  # pragma: no cover - Block is a closed union


def render_markdown(document: Document) -> str:
    """The document as Markdown, blocks separated by blank lines, ending with a newline."""
    return "\n\n".join(_block(b) for b in document.blocks) + "\n"
