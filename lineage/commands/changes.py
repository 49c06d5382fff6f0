"""``lineage changes [--since T] [--root ID | --model ID | --license ID | --term ID] [--kind KIND …]``: the
change records of a scope (or of the whole graph), as a table or as JSON.

Mount with ``app.command()(changes)`` in ``lineage/cli.py``. Reads Neo4j directly (``NEO4J_URI`` …): the
same records ``changes(...)`` answers in GraphQL, paged through :func:`graph.changes.read.scope_changes`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from neo4j import Driver
from rich.table import Table

from graph.changes.kinds import Change, ChangeKind
from graph.changes.read import ChangePage, scope_changes
from graph.history import to_micros
from graph.watches.scope import Scope
from lineage.commands.investigate import fail_line
from lineage.commands.scopes import BAD_INPUT, open_graph, parse_kinds, resolve_scope, scope_option
from lineage.console import console

__all__ = ["DEFAULT_SINCE", "MAX_FIRST", "change_summary", "changes", "collect_changes", "parse_since"]

DEFAULT_SINCE = timedelta(days=7)
MAX_FIRST = 100_000
_PAGE = 500
_SHOWN_PATH = 4


def parse_since(value: str | None, *, now: datetime | None = None) -> datetime:
    """The instant ``--since`` names (ISO 8601 instant or date, as ``--as-of`` elsewhere); default 7 days ago."""
    from reports.dossier.asof import parse_instant
    from reports.dossier.errors import InvalidAsOf

    if value is None or not value.strip():
        return (now or datetime.now(UTC)) - DEFAULT_SINCE
    try:
        return parse_instant(value, name="--since")
    except InvalidAsOf as exc:
        fail_line(str(exc), code=BAD_INPUT)


def collect_changes(driver: Driver, database: str, scope: Scope | None, *, since: datetime,
                    kinds: Sequence[ChangeKind], first: int, newest_first: bool = False) -> ChangePage:
    """Up to ``first`` changes of ``scope`` (None: every change) since ``since``, read a keyset page at a time;
    ``has_next`` when more were recorded."""
    found: list[Change] = []
    after: tuple[int, str] | None = None
    while True:
        page = scope_changes(driver, database, scope.kind.value if scope else "all", scope.id if scope else None,
                             since=since, kinds=kinds, first=min(first - len(found), _PAGE), after=after,
                             newest_first=newest_first)
        found.extend(page.changes)
        if not page.has_next or len(found) >= first:
            return ChangePage(found, page.has_next)
        last = page.changes[-1]
        after = (to_micros(last.recorded_at), last.id)


def change_summary(change: Change) -> str:
    """One line saying what changed, from the record's details (``apache-2.0 → cc-by-nc-4.0`` …)."""
    d = change.details
    kind = change.kind
    if kind is ChangeKind.LICENSE_CHANGED:
        moved = f"declared {d.get('new')}" if d.get("old") is None else f"{d.get('old')} → {d.get('new')}"
        return moved + (f" (from {d['validFrom']})" if d.get("validFrom") else "")
    if kind in (ChangeKind.MODEL_GATED, ChangeKind.MODEL_UNGATED):
        return f"gate {d.get('old')} → {d.get('new')}"
    if kind is ChangeKind.MODEL_DELETED:
        return f"deleted (was {d['old']})" if d.get("old") else "deleted"
    if kind is ChangeKind.MODEL_ADDED:
        return f"known from {d['knownFrom']}" if d.get("knownFrom") else "first seen"
    if kind is ChangeKind.DERIVATION_ADDED:
        return f"{d.get('relation') or 'derived'} of {d.get('parent')}"
    if kind is ChangeKind.DERIVATION_CLOSED:
        return f"no longer {d.get('relation') or 'derived'} of {d.get('parent')}"
    if kind is ChangeKind.DEPLOYMENT_ADDED:
        return f"served by {d.get('deployment')}"
    if kind is ChangeKind.EFFECTIVE_TERMS_CHANGED:
        return _terms_summary(d)
    if kind in (ChangeKind.CONFLICT_OPENED, ChangeKind.CONFLICT_RESOLVED):
        path = [str(p) for p in d.get("path") or ()]
        shown = " ← ".join(path[:_SHOWN_PATH]) + (" ← …" if len(path) > _SHOWN_PATH else "")
        return f"{d.get('rule')} ({d.get('severity')})" + (f" via {shown}" if shown else "")
    return json.dumps(d, sort_keys=True)


def _terms_summary(d: dict[str, Any]) -> str:
    parts = []
    for label, key in (("licences", "licenses"), ("terms", "terms"), ("dropped", "dropped"), ("violated", "violated")):
        added, removed = d.get(f"{key}Added") or [], d.get(f"{key}Removed") or []
        moved = [f"+{x}" for x in added] + [f"-{x}" for x in removed]
        if moved:
            parts.append(f"{label} {' '.join(moved)}")
    if d.get("commercialOld") != d.get("commercialNew"):
        parts.append(f"commercial {d.get('commercialOld')} → {d.get('commercialNew')}")
    return "; ".join(parts) or "effective terms recomputed"


def changes(
    since: Annotated[str | None, typer.Option(
        "--since", metavar="T", help="Changes recorded from then on: ISO 8601 instant or date (00:00 UTC); "
                                     "default 7 days ago.")] = None,
    root: Annotated[str | None, typer.Option(
        "--root", metavar="ID", help="A family: the root and every descendant at any depth.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", metavar="ID", help="A model and everything upstream of it.")] = None,
    license: Annotated[str | None, typer.Option(
        "--license", metavar="ID", help="Changes concerning a licence (id or alias, any case).")] = None,
    term: Annotated[str | None, typer.Option(
        "--term", metavar="ID", help="Changes of models that carry, drop or violate a term.")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", metavar="KIND", help="Only these kinds (repeat, or comma-separate), e.g. LICENSE_CHANGED.")] = None,
    first: Annotated[int, typer.Option(
        "--first", metavar="N", min=1, max=MAX_FIRST, help="Show at most N changes.")] = 100,
    newest_first: Annotated[bool, typer.Option("--newest-first", help="Newest first (default: oldest first).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array of change records (as events carry them).")] = False,
) -> None:
    """The change records of a scope (or of every model) since an instant: models added, deleted, gated;
    licences declared or changed; derivations added or closed; deployments; effective terms; conflicts."""
    instant = parse_since(since)
    kinds = parse_kinds(kind)
    named = scope_option(root=root, model=model, license=license, term=term, required=False)
    with open_graph() as (driver, database):
        scope = None if named is None else resolve_scope(driver, database, *named)
        found = collect_changes(driver, database, scope, since=instant, kinds=kinds, first=first,
                                newest_first=newest_first)
    if as_json:
        typer.echo(json.dumps([c.to_json() for c in found.changes], indent=2))
        return
    _show(found, scope, instant)


def _show(found: ChangePage, scope: Scope | None, since: datetime) -> None:
    what = "every model" if scope is None else f"{scope.kind.value} {scope.id}"
    table = Table("recorded at", "kind", "model", "what changed", "batch",
                  title=f"changes of {what} since {since.isoformat().replace('+00:00', 'Z')}")
    for c in found.changes:
        table.add_row(c.recorded_at.strftime("%Y-%m-%d %H:%M:%S"), c.kind.name, c.model_id, change_summary(c), c.batch)
    console.print(table)
    shown = len(found.changes)
    more = " (more were recorded: --first N shows more)" if found.has_next else ""
    console.print(f"{shown} change{'s' if shown != 1 else ''}{more}")
