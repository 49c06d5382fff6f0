"""Batched model reads as plans: facts by id, search, roots, parent/child pages, history.

Every plan takes lists of keys so that one statement answers many GraphQL rows; the results
come back keyed (a missing key is an unknown model). ``as_of`` (None = now) picks the status,
gate, licence and edges in force at that instant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from crawler.observations import Relation
from graph.errors import InvalidArgument
from graph.history import to_utc, versions
from graph.reads import plan as c
from graph.reads.convert import conflict_state, edge, model_ref, opt_time
from graph.reads.known_since import known_at
from graph.reads.types import EdgePage, HistoryEvent, MaterialisedSummary, ModelFacts, ModelPage, ModelRef, RootEntry
from graph.settings import configured_fixture_prefixes
from graph.statements import reads as q

__all__ = [
    "MAX_PAGE",
    "facts_from",
    "facts_of_ref",
    "plan_connections",
    "plan_facts",
    "plan_history",
    "plan_roots",
    "plan_search",
]

MAX_PAGE = 1000


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def facts_from(p: Mapping[str, Any], as_of: datetime | None, known_since: datetime | None = None) -> ModelFacts | None:
    """Facts from a FACTS projection; None when the model was not yet known at ``as_of``
    (its ``known_since``, see :mod:`graph.reads.known_since`; its first observation when not given)."""
    ref = model_ref(p, as_of)
    since = ref.first_seen if known_since is None else known_since
    if not known_at(since, as_of):
        return None
    version = p.get("eff_version")
    summary = None
    if version is not None:
        store = p.get("eff_store_version")
        summary = MaterialisedSummary(
            int(version), None if store is None else int(store), p.get("eff_kb_version"), conflict_state(p.get("eff_conflict_state"))
        )
    return ModelFacts(
        ref=ref,
        name=p.get("name"),
        license_raw=p.get("license_raw"),
        license_name=p.get("license_name"),
        license_link=p.get("license_link"),
        pipeline_tag=p.get("pipeline_tag"),
        library=p.get("library"),
        created_at=opt_time(p.get("created_at")),
        last_modified=opt_time(p.get("last_modified")),
        sha=p.get("sha"),
        downloads=_opt_int(p.get("downloads")),
        likes=_opt_int(p.get("likes")),
        params=_opt_float(p.get("params")),
        training_compute_flops=_opt_float(p.get("training_compute_flops")),
        tags=tuple(str(t) for t in p.get("tags") or ()),
        materialised=summary,
        listed_at=opt_time(p.get("listed_at")),
        crawled_at=opt_time(p.get("crawled_at")),
        known_since=None if as_of is None else since,
    )


def facts_of_ref(ref: ModelRef) -> ModelFacts:
    """Facts holding only what a lineage read's ModelRef knows (descriptive facts unknown)."""
    return ModelFacts(
        ref=ref, name=None, license_raw=None, license_name=None, license_link=None, pipeline_tag=None, library=None,
        created_at=None, last_modified=None, sha=None, downloads=None, likes=None, params=None,
        training_compute_flops=None, tags=(), materialised=None,
    )


def plan_facts(ids: Sequence[str], *, as_of: datetime | None = None) -> c.Plan[dict[str, ModelFacts]]:
    """Facts of each model named (by id or old id); keys of unknown models are absent, and at ``as_of``
    keys of models not known then (:mod:`graph.reads.known_since`; the facts carry ``known_since``)."""
    as_of = c.norm_as_of(as_of)
    keys = sorted(set(ids))
    if not keys:
        return {}
    rows = yield c.Query(q.MODEL_FACTS[as_of is not None], {"ids": keys})  # as of: with known_since
    out: dict[str, ModelFacts] = {}
    for r in rows:
        facts = facts_from(r["model"], as_of, opt_time(r["known_since"]) if as_of is not None else None)
        if facts is not None:
            out[str(r["key"])] = facts
    return out


def _check_page(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}")
    return limit


def _relation(value: Relation | str | None) -> str | None:
    if value is None:
        return None
    checked = c.check_relations([value])
    assert checked is not None
    return checked[0]


def plan_search(
    *,
    search: str | None = None,
    license_id: str | None = None,
    author: str | None = None,
    relation: Relation | str | None = None,
    has_conflict: bool | None = None,
    limit: int = 50,
    after: str | None = None,
    with_total: bool = True,
) -> c.Plan[ModelPage]:
    """Models (current state) whose id contains ``search`` (any case), filtered, ordered by id.

    ``with_total``: also count every match (on the whole Hub a common term matches ~10⁵ models, and
    counting them costs more than the page; without it ``total`` is None).
    """
    _check_page(limit)
    needle = search.strip().lower() if search and search.strip() else None
    params: dict[str, Any] = {
        "needle": needle,
        "license": license_id,
        "author": author,
        "relation": _relation(relation),
        "has_conflict": has_conflict,
    }
    given = {name: value for name, value in params.items() if value is not None}
    count_statement, page_statement = q.search_statements(frozenset(given))
    counted = (yield c.Query(count_statement, given)) if with_total else None
    rows = yield c.Query(page_statement, {**given, "after": after, "limit": limit + 1})
    items = [f for f in (facts_from(r["model"], None) for r in rows[:limit]) if f is not None]
    next_after = items[-1].id if len(rows) > limit and items else None
    return ModelPage(tuple(items), None if counted is None else int(counted[0]["total"]), next_after)


def plan_roots(*, limit: int = 50) -> c.Plan[tuple[RootEntry, ...]]:
    """Models with no parent now, largest families first (fixture models are not counted as descendants)."""
    _check_page(limit)
    rows = yield c.Query(q.ROOTS, {"limit": limit, "fixture_prefixes": list(configured_fixture_prefixes())})
    out = []
    for r in rows:
        facts = facts_from(r["model"], None)
        if facts is not None:
            out.append(RootEntry(facts, int(r["descendants"])))
    return tuple(out)


def plan_connections(
    ids: Sequence[str],
    *,
    direction: str,
    relation: Relation | str | None = None,
    limit: int = 50,
    after: str | None = None,
    as_of: datetime | None = None,
) -> c.Plan[dict[str, EdgePage]]:
    """A page of parents (``direction="parents"``) or children of each model (current ids), by the other id."""
    if direction not in ("parents", "children"):
        raise InvalidArgument("direction must be 'parents' or 'children'")
    _check_page(limit)
    as_of = c.norm_as_of(as_of)
    keys = sorted(set(ids))
    if not keys:
        return {}
    statements = q.PARENTS_PAGE if direction == "parents" else q.CHILDREN_PAGE
    params = {"ids": keys, "relation": _relation(relation), "after": after, "limit": limit + 1, "as_of": as_of}
    rows = yield c.Query(statements[as_of is not None], params)
    out: dict[str, EdgePage] = {}
    for r in rows:
        model_id = str(r["id"])
        found = list(r["edges"])
        edges = []
        for e in found[:limit]:
            other = str(e["other"])
            child, parent = (model_id, other) if direction == "parents" else (other, model_id)
            edges.append(edge(child, parent, e["props"]))
        next_after = str(found[limit - 1]["other"]) if len(found) > limit else None
        out[model_id] = EdgePage(model_id, tuple(edges), int(r["total"]), next_after)
    return out


def _version_events(name: str, rows: Sequence[Mapping[str, Any]]) -> list[HistoryEvent]:
    """Events of a fact with at most one open version (licence, publisher): each change old → new."""
    out: list[HistoryEvent] = []
    ordered = sorted(rows, key=lambda v: to_utc(v["valid_from"]))
    previous: Mapping[str, Any] | None = None
    for v in ordered:
        start = to_utc(v["valid_from"])
        old = None
        if previous is not None and previous.get("valid_to") is not None and to_utc(previous["valid_to"]) == start:
            old = str(previous["value"])
        elif previous is not None and previous.get("valid_to") is not None:
            out.append(_event(to_utc(previous["valid_to"]), name, str(previous["value"]), None, previous))
        out.append(_event(start, name, old, str(v["value"]), v))
        previous = v
    if previous is not None and previous.get("valid_to") is not None:
        out.append(_event(to_utc(previous["valid_to"]), name, str(previous["value"]), None, previous))
    return out


def _edge_events(rows: Sequence[Mapping[str, Any]]) -> list[HistoryEvent]:
    """Base-model changes: an edge version opening (new parent) and closing (parent gone)."""
    out: list[HistoryEvent] = []
    for v in rows:
        label = f"{v['value']} ({v.get('relation') or 'unknown'})"
        out.append(_event(to_utc(v["valid_from"]), "base_model", None, label, v))
        if v.get("valid_to") is not None:
            out.append(_event(to_utc(v["valid_to"]), "base_model", label, None, v))
    return out


def _list_events(name: str, values: Sequence[Any] | None, starts: Sequence[Any] | None) -> list[HistoryEvent]:
    out: list[HistoryEvent] = []
    previous: str | None = None
    for version in versions(values, starts):
        value = None if version.value is None else str(version.value)
        out.append(HistoryEvent(version.valid_from, name, previous, value))
        previous = value
    return out


def _event(at: datetime, name: str, old: str | None, new: str | None, v: Mapping[str, Any]) -> HistoryEvent:
    return HistoryEvent(
        at=at,
        field=name,
        old_value=old,
        new_value=new,
        source_url=v.get("source_url"),
        revision=v.get("revision"),
        observed_at=opt_time(v.get("observed_at")),
        run=v.get("run"),
    )


def plan_history(ids: Sequence[str]) -> c.Plan[dict[str, tuple[HistoryEvent, ...]]]:
    """Every recorded change of licence, base model, publisher, status and gate of each model, in time order."""
    keys = sorted(set(ids))
    if not keys:
        return {}
    rows = yield c.Query(q.HISTORY, {"ids": keys})
    out: dict[str, tuple[HistoryEvent, ...]] = {}
    for r in rows:
        events = [
            *_version_events("license", r["licenses"]),
            *_version_events("publisher", r["publishers"]),
            *_edge_events(r["bases"]),
            *_list_events("status", r["status_history"], r["status_valid_from"]),
            *_list_events("gated", r["gate_history"], r["gate_valid_from"]),
        ]
        events.sort(key=lambda e: (e.at, e.field, e.new_value or ""))
        out[str(r["id"])] = tuple(events)
    return out
