"""Renamed repos merged onto one Model node, the old id kept as an alias.

Cases for ``AliasSeen(old, new)``:

* neither id known → the new Model is created (status unknown) with the alias;
* only ``old`` known → the node is renamed to ``new`` (history stays on it);
* only ``new`` known, or ``old`` already an alias of ``new`` → the alias is recorded;
* both known → ``old`` is merged into ``new``: every relationship moves, duplicate versions
  are folded (evidence united, at most one open version per fact), status/gate histories are
  interleaved, and ``old`` is deleted.

In every case the ancestry index of the node and its descendants is marked for rebuilding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from neo4j import Driver, ManagedTransaction, RoutingControl

from graph.db import read_query
from graph.evidence import EdgeVersion, edge_properties, merge_evidence
from graph.history import to_utc
from graph.records import AliasRecord
from graph.statements import aliases as q
from graph.statements.lineage import KEY_SEP

__all__ = ["apply_alias", "merge_model_properties", "resolve"]

_VERSIONED = ("DECLARES", "PUBLISHED")


def resolve(driver: Driver, ids: Iterable[str], *, database: str | None = None, batch_size: int = 5000) -> dict[str, str]:
    """Map each id that is an alias to the id of the model it now names (others are left out)."""
    wanted = sorted(set(ids))
    out: dict[str, str] = {}
    for start in range(0, len(wanted), batch_size):
        records, _, _ = driver.execute_query(
            read_query(driver, q.ALIAS_RESOLVE), {"ids": wanted[start : start + batch_size]},
            database_=database, routing_=RoutingControl.READ,
        )
        out.update({str(r["alias"]): str(r["id"]) for r in records})
    return out


def apply_alias(tx: ManagedTransaction, alias: AliasRecord, run_id: str) -> None:
    """Apply one rename inside a write transaction (idempotent)."""
    old, new = alias.old_id, alias.new_id
    found = tx.run(q.ALIAS_LOOKUP, old=old, new=new).single()
    assert found is not None
    has_old, has_new = bool(found["has_old"]), bool(found["has_new"])
    tx.run(q.ALIAS_DELETE_NAME, id=new).consume()  # `new` is a model id from now on
    if has_old and not has_new:
        tx.run(q.ALIAS_RENAME, old=old, new=new).consume()
        tx.run(q.ALIAS_REKEY, id=new, sep=KEY_SEP).consume()
    elif has_old and has_new:
        _merge_nodes(tx, old, new)
    elif not has_new:
        tx.run(
            q.ALIAS_TARGET_CREATE,
            id=new, t=alias.prov.observed_at, run=run_id, url=alias.prov.url, rev=alias.prov.revision,
        ).consume()
    tx.run(
        q.ALIAS_UPSERT, old=old, new=new, t=alias.prov.observed_at, run=run_id,
        url=alias.prov.url, rev=alias.prov.revision,
    ).consume()
    if has_old:
        tx.run(q.ALIAS_MARK_DESCENDANTS, id=new).consume()


def _merge_nodes(tx: ManagedTransaction, old: str, new: str) -> None:
    old_props = tx.run(q.ALIAS_NODE_PROPS, id=old).single(strict=True)["props"]
    new_props = tx.run(q.ALIAS_NODE_PROPS, id=new).single(strict=True)["props"]
    tx.run(q.ALIAS_MARK_DESCENDANTS, id=old).consume()
    tx.run(q.ALIAS_MOVE_OUT, old=old, new=new).consume()
    tx.run(q.ALIAS_MOVE_IN, old=old, new=new).consume()
    tx.run(q.ALIAS_DELETE_MODEL, old=old).consume()
    tx.run(q.ALIAS_SET_PROPS, new=new, props=merge_model_properties(old_props, new_props, old)).consume()
    rels = [dict(r) for r in tx.run(q.ALIAS_RELS_OF, id=new)]
    deletes, updates = fold_duplicates(rels)
    if deletes:
        tx.run(q.REL_DELETE, eids=deletes).consume()
    if updates:
        tx.run(q.REL_SET_PROPS, rows=updates).consume()


def _fetched(props: Mapping[str, Any]) -> bool:
    """Was the node's own record read (crawled or listed) and did it record a licence field?"""
    read = props.get("crawled_at") is not None or props.get("listed_at") is not None
    return read and props.get("license_recorded") is not False


def merge_model_properties(old: Mapping[str, Any], new: Mapping[str, Any], old_id: str) -> dict[str, Any]:
    """Properties of the merged node: the newer node's values win, unless only the older one was
    fetched (the newer is a mention or a reference stub, e.g. another letter case of the id named
    as someone's base): then the fetched record's values win. Histories are interleaved."""
    if _fetched(old) and not _fetched(new):
        props: dict[str, Any] = {**dict(new), **dict(old), "id": new.get("id"), "search_id": new.get("search_id")}
        props = {k: v for k, v in props.items() if v is not None}
    else:
        props = {**dict(old), **dict(new)}
    for key in ("first_seen",):
        values = [p[key] for p in (old, new) if p.get(key) is not None]
        if values:
            props[key] = min(values, key=to_utc)
    for hist, starts, current in (
        ("status_history", "status_valid_from", "status"),
        ("gate_history", "gate_valid_from", "gated"),
    ):
        pairs = sorted(
            [(to_utc(t), v) for p in (old, new) for v, t in zip(p.get(hist) or [], p.get(starts) or [], strict=False)],
            key=lambda pair: pair[0],
        )
        collapsed: list[tuple[Any, Any]] = []
        for t, v in pairs:
            if not collapsed or collapsed[-1][1] != v:
                collapsed.append((t, v))
        if collapsed:
            props[hist] = [v for _, v in collapsed]
            props[starts] = [t for t, _ in collapsed]
            props[current] = collapsed[-1][1]
    aliases = [a for a in [*(old.get("aliases") or []), *(new.get("aliases") or []), old_id] if a != new.get("id")]
    props["aliases"] = list(dict.fromkeys(aliases))
    props["closure_dirty"] = True
    return props


def fold_duplicates(rels: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Relationship element ids to delete and ones to rewrite so that the merged node holds
    at most one open version per fact and one evidence link per (type, other end)."""
    deletes: list[str] = []
    updates: list[dict[str, Any]] = []
    groups: dict[tuple[str, bool, str], list[dict[str, Any]]] = {}
    for rel in rels:
        key = (rel["type"], rel["outgoing"], "" if rel["type"] in _VERSIONED else rel["other"])
        groups.setdefault(key, []).append(rel)
    for (kind, _, _), group in groups.items():
        if kind == "DERIVED_FROM":
            by_other: dict[str, list[dict[str, Any]]] = {}
            for rel in group:
                if rel["props"].get("valid_to") is None:
                    by_other.setdefault(rel["other"], []).append(rel)
            for opens in by_other.values():
                if len(opens) > 1:
                    versions = [EdgeVersion.from_properties(r["eid"], r["props"]) for r in opens]
                    first = min(versions, key=lambda v: v.valid_from)
                    evidence = merge_evidence((), [e for v in versions for e in v.evidence])
                    props = {**dict(next(r for r in opens if r["eid"] == first.element_id)["props"])}
                    props.update(edge_properties(evidence, max(versions, key=lambda v: v.last_seen).last_run))
                    updates.append({"eid": first.element_id, "props": props})
                    deletes.extend(v.element_id for v in versions if v.element_id != first.element_id)
        elif kind in _VERSIONED:
            open_rels = [r for r in group if r["props"].get("valid_to") is None]
            if len(open_rels) > 1:
                keeper = max(open_rels, key=lambda r: to_utc(r["props"]["last_seen"]))
                keep_from = to_utc(keeper["props"]["valid_from"])
                for rel in open_rels:
                    if rel is keeper:
                        continue
                    if rel["other"] == keeper["other"]:
                        deletes.append(rel["eid"])
                        continue
                    props = dict(rel["props"])
                    props["valid_to"] = max(to_utc(props["valid_from"]), keep_from)
                    updates.append({"eid": rel["eid"], "props": props})
        elif len(group) > 1:
            keeper = max(group, key=lambda r: _sort_time(r["props"].get("last_seen")))
            firsts = [to_utc(r["props"]["first_seen"]) for r in group if r["props"].get("first_seen") is not None]
            props = dict(keeper["props"])
            if firsts:
                props["first_seen"] = min(firsts)
            updates.append({"eid": keeper["eid"], "props": props})
            deletes.extend(r["eid"] for r in group if r is not keeper)
    return deletes, updates


def _sort_time(value: Any) -> Any:
    return to_utc(value).timestamp() if value is not None else float("-inf")
