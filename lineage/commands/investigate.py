"""``lineage investigate ID``: the investigation dossier of a model or of a weight file.

Mount with ``app.command()(investigate)`` in ``lineage/cli.py``. Reads Neo4j directly
(``NEO4J_URI`` …); no worker or API is needed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from reports.dossier import Dossier

__all__ = ["fail_line", "investigate", "load_dossier", "write_output"]

def fail_line(message: str, code: int = 1) -> NoReturn:
    """Print ``error: <message>`` as one plain line on stderr (never wrapped, no markup) and exit."""
    typer.echo("error: " + " ".join(message.split()), err=True)
    raise typer.Exit(code)


def load_dossier(target: str, as_of: str | None) -> Dossier:
    """The dossier of ``target`` (a model id, or a sha256 of 64 hex digits); fails with one line."""
    from graph.db import sync_driver
    from graph.errors import GraphRetryableError
    from graph.settings import Neo4jSettings
    from graph.sha256 import is_sha256
    from reports.dossier import investigate as run_investigation
    from reports.dossier import parse_as_of
    from reports.errors import answer_for

    settings = Neo4jSettings()
    try:
        instant = parse_as_of(as_of)
        with sync_driver(settings) as driver:
            if is_sha256(target):
                return run_investigation(driver, sha256=target, as_of=instant, database=settings.database)
            return run_investigation(driver, target, as_of=instant, database=settings.database)
    except Exception as exc:
        answer = answer_for(exc)
        if answer is None:
            raise
        where = f" (reading {settings.uri}: {exc})" if isinstance(exc, GraphRetryableError) else ""
        fail_line(answer.message(exc) + where, code=answer.exit_code)


def write_output(text: str, out: Path | None, what: str) -> None:
    """Print ``text`` to stdout, or write it to ``out`` and say so on stderr."""
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail_line(f"cannot write {out}: {exc.strerror or exc}")
    typer.echo(f"wrote {what} to {out}", err=True)


def investigate(
    target: Annotated[str, typer.Argument(
        metavar="ID", help="A model id (or an old id), or the sha256 of a weight file (64 hex digits).")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="T", help="Answer as the graph was then: ISO 8601 instant or date (00:00 UTC).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md (for people), json (for tools) or html.")] = "md",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """The dossier of ID: parties and roles back to the original provider, the licence in force at each step,
    terms, conflicts with their paths, deployments reached, unknowns, evidence, and a content hash to cite."""
    from reports.render import Format, render

    try:
        chosen = Format(fmt.lower())
    except ValueError:
        fail_line(f"--format must be md, json or html; got {fmt!r}", code=2)
    dossier = load_dossier(target, as_of)
    write_output(render(dossier, chosen), out, f"the dossier ({dossier.content_hash})")
