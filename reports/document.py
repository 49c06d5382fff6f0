"""A format-neutral document (headings, paragraphs, lists, tables of inline pieces).

The dossier is laid out once as a :class:`Document` (:mod:`.layout`); the Markdown and HTML
renderers turn the same document into text, each escaping every value for its own format.
So the HTML page carries exactly the Markdown's content, and hostile values (ids from the
Hub, card text in evidence) are never interpreted as markup by either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "Block",
    "BulletList",
    "Code",
    "Document",
    "Heading",
    "Inline",
    "Link",
    "Para",
    "Strong",
    "Table",
    "Text",
    "cells",
]


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Strong:
    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """An identifier (model, party, licence, sha) shown verbatim."""

    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A URL; shown as a link only when it is a plain http(s) URL, else verbatim as code."""

    url: str


Inline = Text | Strong | Code | Link
Cell = tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    content: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Para:
    content: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class BulletList:
    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


Block = Heading | Para | BulletList | Table
CellValue = Iterable[Inline | str] | Inline | str | None


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def h(self, level: int, *content: Inline | str) -> None:
        self.blocks.append(Heading(level, _inline(content)))

    def p(self, *content: Inline | str) -> None:
        self.blocks.append(Para(_inline(content)))

    def ul(self, items: Iterable[Iterable[Inline | str]]) -> None:
        rows = tuple(_inline(tuple(item)) for item in items)
        if rows:
            self.blocks.append(BulletList(rows))

    def table(self, headers: Iterable[str], rows: Iterable[Iterable[CellValue]]) -> None:
        body = tuple(tuple(cells(c) for c in row) for row in rows)
        if body:
            self.blocks.append(Table(tuple(headers), body))


def _inline(content: Iterable[Inline | str]) -> tuple[Inline, ...]:
    return tuple(Text(c) if isinstance(c, str) else c for c in content)


def cells(value: CellValue) -> Cell:
    """One table cell from a string, an inline piece, several pieces, or None (shown as a dash)."""
    if value is None:
        return (Text("—"),)
    if isinstance(value, str):
        return (Text(value),)
    if isinstance(value, Text | Strong | Code | Link):
        return (value,)
    return _inline(tuple(value))
