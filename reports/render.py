"""A dossier in one of its three forms: JSON for tools, Markdown for readers, HTML for browsers."""

from __future__ import annotations

import enum

from reports.html import render_html
from reports.markdown import render_markdown
from reports.outline import outline
from reports.dossier import Dossier, dumps

__all__ = ["MEDIA_TYPES", "Format", "render"]


class Format(enum.StrEnum):
    MD = "md"
    JSON = "json"
    HTML = "html"


MEDIA_TYPES = {
    Format.MD: "text/markdown; charset=utf-8",
    Format.JSON: "application/json",
    Format.HTML: "text/html; charset=utf-8",
}


def render(dossier: Dossier, fmt: Format) -> str:
    """The dossier as text in ``fmt``: JSON sorted and indented (schema lineage-dossier, SCHEMA.md), or the document."""
    if fmt is Format.JSON:
        return dumps(dossier.to_json_dict())
    document = outline(dossier)
    return render_markdown(document) if fmt is Format.MD else render_html(document)
