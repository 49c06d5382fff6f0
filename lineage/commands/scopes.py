"""What ``lineage changes`` and ``lineage watch`` share: the graph opened from settings, a scope named by
``--root``/``--model``/``--license``/``--term`` resolved the way the API resolves it, and ``--kind`` parsed.

A model or root may be named by a current or an old id (aliases followed); a licence by its id or any alias,
in any case (the knowledge base's catalog); a term by its id. Anything unknown is one line and exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from neo4j import Driver

from graph.changes.kinds import ChangeKind
from graph.watches.scope import Scope, ScopeKind
from lineage.commands.investigate import fail_line

__all__ = ["BAD_INPUT", "open_graph", "parse_kinds", "resolve_scope", "scope_option"]

BAD_INPUT = 2
"""The exit code of input the command cannot use (an unknown id, a malformed option)."""


@contextmanager
def open_graph() -> Iterator[tuple[Driver, str]]:
    """The sync driver and database of NEO4J_* settings; a graph failure ends the command with one line, exit 1."""
    from graph.db import sync_driver
    from graph.errors import GraphError, GraphUnavailable
    from graph.settings import Neo4jSettings

    settings = Neo4jSettings()
    try:
        with sync_driver(settings) as driver:
            yield driver, settings.database
    except GraphUnavailable:
        fail_line(f"cannot reach Neo4j at {settings.uri}; start it (lineage dev up) or set NEO4J_URI")
    except GraphError as exc:
        fail_line(f"reading the graph at {settings.uri} failed: {exc}")


def scope_option(*, root: str | None, model: str | None, license: str | None, term: str | None,
                 required: bool) -> tuple[ScopeKind, str] | None:
    """The one scope option given (None when none is and none is ``required``); more than one: exit 2."""
    given = [(kind, value) for kind, value in ((ScopeKind.ROOT, root), (ScopeKind.MODEL, model),
                                                (ScopeKind.LICENSE, license), (ScopeKind.TERM, term))
             if value is not None]
    if len(given) > 1 or (required and not given):
        need = "exactly one" if required else "at most one"
        fail_line(f"give {need} of --root, --model, --license or --term", code=BAD_INPUT)
    return given[0] if given else None


def resolve_scope(driver: Driver, database: str, kind: ScopeKind, value: str) -> Scope:
    """The scope with its canonical id (a model's current id, a licence's canonical id); unknown: exit 2."""
    from terms.licenses import default_catalog

    option = f"--{kind.value}"
    if not value.strip():
        fail_line(f"{option} needs an id", code=BAD_INPUT)
    if kind in (ScopeKind.MODEL, ScopeKind.ROOT):
        from graph.reads.models import plan_facts
        from graph.reads.plan import run

        facts = run(driver, plan_facts([value]), database)
        if value not in facts:
            fail_line(f"{option} {value!r} is not a model Lineage knows (nor an old id of one)", code=BAD_INPUT)
        return Scope(kind, facts[value].id)
    catalog = default_catalog()
    if kind is ScopeKind.LICENSE:
        from api.licenses.service import find_license

        found = find_license(catalog, value)
        if found is None:
            fail_line(f"{option} {value.strip()!r} is not a licence Lineage knows (id or alias, any case)",
                      code=BAD_INPUT)
        return Scope(kind, found.id)
    if value not in catalog.all_terms:
        fail_line(f"{option} {value!r} is not a term Lineage knows", code=BAD_INPUT)
    return Scope(kind, value)


def parse_kinds(names: Sequence[str] | None) -> list[ChangeKind]:
    """``--kind`` values (``LICENSE_CHANGED`` or ``license_changed``, also comma-separated) as change kinds."""
    kinds: list[ChangeKind] = []
    for name in (part.strip() for given in names or () for part in given.split(",")):
        if not name:
            continue
        kind = ChangeKind.__members__.get(name.upper())
        if kind is None:
            known = ", ".join(ChangeKind.__members__)
            fail_line(f"--kind {name!r} is not a change kind; one of {known}", code=BAD_INPUT)
        if kind not in kinds:
            kinds.append(kind)
    return kinds
