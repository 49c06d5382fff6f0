"""``lineage export …``: exports for other tools. ``lineage export aibom ID``: a CycloneDX 1.6 ML-BOM.

Mount with ``app.add_typer(export.app, name="export")`` in ``lineage/cli.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lineage.commands.investigate import load_dossier, write_output

__all__ = ["aibom", "app"]

app = typer.Typer(help="Export what the graph knows in formats other tools read.", no_args_is_help=True)


@app.command()
def aibom(
    target: Annotated[str, typer.Argument(
        metavar="ID", help="A model id (or an old id), or a weight file's sha256 (64 hex digits).")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="T", help="As the graph was then: ISO 8601 instant or date (00:00 UTC).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """The CycloneDX 1.6 ML-BOM of ID: the model, its licences, and its lineage as pedigree.ancestors."""
    from reports.aibom import aibom_json

    dossier = load_dossier(target, as_of)
    write_output(aibom_json(dossier), out, f"the ML-BOM of {dossier.subject}")
