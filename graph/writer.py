"""Batched, idempotent writes of observations to Neo4j.

``GraphWriter.write(observations, run_id=…)`` maps a batch (graph.mapping), applies renames
first, resolves every model id through its aliases, then runs one ``UNWIND $rows …``
statement per label / relationship type in chunks of ``batch_size`` rows, nodes before
relationships::

    aliases → Party, License, Dataset, Deployment, File → Model (+ unavailable, mentions)
    → PUBLISHED, DECLARES (versioned) → SERVES, OPERATES, TRAINED_ON, HAS_FILE
    → DERIVED_FROM (evidence merged, versions) → close parents no longer declared
    → ancestry index (HAS_ANCESTOR) → problems
    → versions dated by commit history (DECLARES, DERIVED_FROM; see graph.history)
    → change records of the models the batch touched (graph.changes, batch = run_id)

Models the graph does not hold and the batch observes once (most of a listing sweep) skip
the read-merge steps: one statement creates each with its publisher and licence
(``MODEL_CREATE``), and its derivations are created without reading stored versions; every
other model goes through the upserts above (``create_new=False``: all of them do).

Each chunk is its own transaction. Every statement is idempotent for the same observations,
so a batch that failed part-way is repaired by writing it again: nothing depends on a
chunk having been the first to run (models whose ancestry index may be incomplete carry
``closure_dirty`` until it is rebuilt). Rows that touch the same key twice (one model seen
twice in a batch) go into successive rounds so that history is applied in time order.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol, TypeVar

import structlog
from neo4j import Driver, ManagedTransaction, RoutingControl
from neo4j.exceptions import ConstraintError

from crawler.observations import EvidenceKind, Observation, Relation
from graph import ancestry
from graph.aliases import apply_alias
from graph.changes.capture import CHUNK as CAPTURE_CHUNK
from graph.changes.capture import capture_in
from graph.db import write_query, write_work
from graph.errors import translated
from graph.evidence import EdgeVersion, EdgeWrite, edge_properties, plan_derivation
from graph.history import StoredVersion, plan_dated, to_micros, to_utc
from graph.mapping import map_observations, rewrite_model_ids
from graph.records import (
    DatedRecord,
    DerivationRecord,
    EvidenceRecord,
    GraphRecords,
    LinkType,
    ModelRecord,
    NodeLabel,
    VersionedLink,
    VersionedLinkType,
)
from graph.statements import aliases as aq
from graph.statements import history as hq
from graph.statements import lineage as lq
from graph.statements import write as wq

__all__ = ["DEFAULT_BATCH_SIZE", "GraphWriter", "WriteReport"]

log = structlog.get_logger(__name__)
DEFAULT_BATCH_SIZE = 5000
T = TypeVar("T")

_NODE_ORDER = (NodeLabel.PARTY, NodeLabel.LICENSE, NodeLabel.DATASET, NodeLabel.DEPLOYMENT, NodeLabel.FILE)
_LINK_ORDER = (LinkType.SERVES, LinkType.OPERATES, LinkType.TRAINED_ON, LinkType.HAS_FILE)


@dataclass(slots=True)
class WriteReport:
    """What one ``write`` did (counts of rows sent, and of DERIVED_FROM outcomes)."""

    run_id: str
    rows: Counter[str] = field(default_factory=Counter)
    derived_created: int = 0
    derived_updated: int = 0
    derived_closed: int = 0
    ancestry_pairs: int = 0  # (descendant, ancestor) pairs checked by the incremental index update
    ancestry_rebuilt: int = 0  # models whose index entries were rebuilt (closed edges, renames)
    aliases: int = 0
    skipped: int = 0
    changes: int = 0  # change records the batch made (graph.changes)
    transactions: int = 0
    seconds: float = 0.0  # in the database calls and the Python between them (mapping not included)
    # where the time went: per statement (round trips and commits included), "map" for the mapping
    seconds_by: Counter[str] = field(default_factory=Counter)


class GraphWriter:
    """Writes observations through batched statements; safe to call again with the same batch."""

    def __init__(
        self,
        driver: Driver,
        *,
        database: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        maintain_ancestry: bool = True,
        create_new: bool = True,
    ) -> None:
        """``create_new``: models the graph does not hold yet are created without the read-merge
        steps (see :meth:`write`); False sends every row through the general upserts (the same graph)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._driver = driver
        self._database = database
        self._batch_size = batch_size
        self._maintain_ancestry = maintain_ancestry
        self._create_new = create_new

    # -- public -------------------------------------------------------------------------

    def write(
        self,
        observations: Iterable[Observation],
        *,
        run_id: str,
        full_models: Collection[str] | None = None,
    ) -> WriteReport:
        """Write one batch of observations stamped with ``run_id``.

        ``full_models``: see :func:`graph.mapping.map_observations` (None: every
        available/gated ModelSeen in the batch comes with all its derivations).

        Models that the graph does not hold and that the batch observes once (most of a
        listing sweep) are created with their publisher and licence in one statement, and
        their derivations without reading stored versions: there are none. Should another
        writer create one of them meanwhile, the batch is written again the general way.
        """
        started = time.perf_counter()
        records = map_observations(observations, full_models=full_models)
        mapped = time.perf_counter() - started
        report = self.write_records(records, run_id=run_id)
        report.seconds_by["map"] += mapped
        return report

    def write_records(self, records: GraphRecords, *, run_id: str) -> WriteReport:
        """Write already-mapped records (see :meth:`write`), one transaction per chunk."""
        started = time.perf_counter()
        report = WriteReport(run_id=run_id, skipped=records.skipped)
        with translated():
            try:
                self._write_all(_timed(self._driver, self._database, report), records, run_id, report,
                                fast=self._create_new)
            except ConstraintError:
                if not self._create_new:
                    raise
                log.info("graph.write.created_meanwhile", run_id=run_id)  # a model appeared after the read
                report = WriteReport(run_id=run_id, skipped=records.skipped)
                self._write_all(_timed(self._driver, self._database, report), records, run_id, report, fast=False)
            if self._maintain_ancestry:
                began = time.perf_counter()
                report.ancestry_rebuilt = ancestry.refresh_dirty(
                    self._driver, database=self._database, batch_size=self._batch_size
                )
                report.seconds_by["ancestry.refresh"] += time.perf_counter() - began
        report.seconds = time.perf_counter() - started
        log.debug("graph.write", run_id=run_id, rows=dict(report.rows), seconds=round(report.seconds, 3))
        return report

    def write_atomic(
        self,
        observations: Iterable[Observation],
        *,
        run_id: str,
        full_models: Collection[str] | None = None,
    ) -> WriteReport:
        """Write a small batch in one transaction (all or nothing); the same statements as :meth:`write`."""
        records = map_observations(observations, full_models=full_models)
        started = time.perf_counter()
        report = WriteReport(run_id=run_id, skipped=records.skipped)

        def work(tx: ManagedTransaction) -> None:
            report.rows.clear()
            self._write_all(_InTransaction(tx), records, run_id, report, fast=False)

        with translated():
            with self._driver.session(database=self._database) as session:
                session.execute_write(write_work(self._driver, work))
            report.transactions = 1
            if self._maintain_ancestry:
                report.ancestry_rebuilt = ancestry.refresh_dirty(
                    self._driver, database=self._database, batch_size=self._batch_size
                )
        report.seconds = time.perf_counter() - started
        return report

    def _write_all(self, ex: _Executor, records: GraphRecords, run_id: str, report: WriteReport, *, fast: bool) -> None:
        for alias in records.aliases:
            ex.work(partial(apply_alias, alias=alias, run_id=run_id))
            report.aliases += 1
            report.transactions += 1
        canonical: dict[str, str] = {}
        for chunk in _chunks(sorted(records.model_ids()), self._batch_size):
            canonical.update({str(r["alias"]): str(r["id"]) for r in ex.query(aq.ALIAS_RESOLVE, {"ids": chunk})})
        records = rewrite_model_ids(records, canonical)
        absent = self._absent(ex, records) if fast else set()
        created = _created_once(records, absent)
        self._write_nodes(ex, records, run_id, report)
        self._write_models(ex, records, run_id, report, created)
        self._write_versioned(ex, records, run_id, report, created)
        self._write_links(ex, records, run_id, report)
        open_edges, dirty = self._write_derivations(ex, records.derivations, run_id, report, absent)
        dirty |= self._close_missing(ex, records, report, created)
        if self._maintain_ancestry:
            self._ensure_ancestry(ex, open_edges, report)
        if dirty:
            self._run(ex, lq.ANCESTRY_MARK_DIRTY, "ancestry_dirty", sorted(dirty), report, run_id, param="ids")
        problems = [
            {"model": p.model_id, "kind": p.kind, "message": p.message, "t": to_micros(p.prov.observed_at),
             "url": p.prov.url}
            for p in records.problems
        ]
        self._run_rounds(ex, wq.PROBLEM_UPSERT, "problems", problems, lambda r: (r["model"],), report, run_id)
        self._write_dated(ex, records.dated, run_id, report)
        self._capture_changes(ex, records, run_id, report)

    def _capture_changes(self, ex: _Executor, records: GraphRecords, run_id: str, report: WriteReport) -> None:
        """Record what the batch changed about the models it touched (graph.changes.capture), a chunk per transaction."""
        at = datetime.now(UTC)
        for chunk in _chunks(sorted(_touched(records)), CAPTURE_CHUNK):
            report.changes += len(ex.work(partial(capture_in, ids=chunk, batch=run_id, at=at)))
            report.transactions += 1

    # -- statements ---------------------------------------------------------------------

    def _absent(self, ex: _Executor, records: GraphRecords) -> set[str]:
        """Models and derivation children of the batch that the graph does not hold."""
        ids = {m.id for m in records.models} | {d.child for d in records.derivations}
        absent: set[str] = set()
        for chunk in _chunks(sorted(ids), self._batch_size):
            absent.update(str(x) for r in ex.query(wq.MODEL_ABSENT, {"ids": chunk}) for x in r["ids"])
        return absent

    def _write_nodes(self, ex: _Executor, records: GraphRecords, run_id: str, report: WriteReport) -> None:
        by_label: dict[NodeLabel, list[dict[str, Any]]] = {label: [] for label in _NODE_ORDER}
        for node in records.nodes:
            by_label[node.label].append(
                {
                    "key": node.key,
                    "t": to_micros(node.prov.observed_at),
                    "first": to_micros(node.first_seen or node.prov.observed_at),
                    "url": node.prov.url,
                    "rev": node.prov.revision,
                    "props": node.props,
                }
            )
        for label in _NODE_ORDER:
            self._run(ex, wq.NODE_UPSERT[label], label.value, by_label[label], report, run_id)

    def _write_models(
        self, ex: _Executor, records: GraphRecords, run_id: str, report: WriteReport, created: _Created
    ) -> None:
        models = [_model_row(m) for m in records.models if m.id not in created.models]
        self._run_rounds(ex, wq.MODEL_UPSERT, "Model", models, lambda r: (r["id"],), report, run_id)
        new = []
        for m in created.models.values():
            row = _model_row(m)
            props = row.pop("props")
            row["vals"] = [props.get(k) for k in wq.CREATED_MODEL_PROPS]
            full = created.full.get(m.id)
            row["full"] = None if full is None else to_micros(full)
            published, declares = created.published.get(m.id), created.declares.get(m.id)
            row["pub"] = None if published is None else _created_version(published, wq.CREATED_PUBLISHED_PROPS)
            row["lic"] = None if declares is None else _created_version(declares, wq.CREATED_DECLARES_PROPS)
            new.append(row)
        self._run(ex, wq.MODEL_CREATE, "Model.created", new, report, run_id)
        unavailable = [_mention_row(m.id, m.prov) for m in records.unavailable]
        self._run(ex, wq.MODEL_UNAVAILABLE, "Model.unavailable", unavailable, report, run_id)
        mentions = [_mention_row(m.id, m.prov) for m in records.mentions]
        self._run(ex, wq.MODEL_MENTION, "Model.mention", mentions, report, run_id)

    def _write_versioned(
        self, ex: _Executor, records: GraphRecords, run_id: str, report: WriteReport, created: _Created
    ) -> None:
        for kind in (VersionedLinkType.PUBLISHED, VersionedLinkType.DECLARES):
            rows = [_versioned_row(v) for v in records.versioned if v.type is kind and v.model_id not in created.models]
            self._run_rounds(ex, wq.VERSIONED_UPSERT[kind], kind.value, rows, lambda r: (r["model"],), report, run_id)

    def _write_links(self, ex: _Executor, records: GraphRecords, run_id: str, report: WriteReport) -> None:
        for kind in _LINK_ORDER:
            rows = [
                {
                    "src": link.src,
                    "dst": link.dst,
                    "t": to_micros(link.prov.observed_at),
                    "first": to_micros(link.first_seen or link.prov.observed_at),
                    "url": link.prov.url,
                    "rev": link.prov.revision,
                    "props": link.props,
                }
                for link in records.links
                if link.type is kind
            ]
            self._run(ex, wq.LINK_UPSERT[kind], kind.value, rows, report, run_id)

    def _write_derivations(
        self,
        ex: _Executor,
        derivations: Sequence[DerivationRecord],
        run_id: str,
        report: WriteReport,
        absent: Collection[str],
    ) -> tuple[list[dict[str, str]], set[str]]:
        open_edges: list[dict[str, str]] = []
        dirty: set[str] = set()
        for chunk in _chunks(list(derivations), self._batch_size):
            writes, opened = ex.work(partial(_derivation_chunk, chunk=chunk, run_id=run_id, absent=absent))
            report.transactions += 1
            report.rows["DERIVED_FROM"] += len(chunk)
            for w in writes:
                if w.element_id is None:
                    report.derived_created += 1
                else:
                    report.derived_updated += 1
                if w.relation_changed:
                    dirty.add(w.child)
            open_edges.extend(opened)
        return open_edges, dirty

    def _close_missing(self, ex: _Executor, records: GraphRecords, report: WriteReport, created: _Created) -> set[str]:
        rows = [
            {"child": p.child, "parents": sorted(p.parents), "t": to_micros(p.observed_at)}
            for p in records.parent_sets
            if p.child not in created.models  # created with last_full_at and only this batch's edges
        ]
        closed: set[str] = set()
        for batch in _rounds(rows, lambda r: (r["child"],)):
            for chunk in _chunks(batch, self._batch_size):
                result = ex.query(lq.DERIVED_CLOSE_MISSING, {"rows": chunk})
                report.transactions += 1
                report.rows["DERIVED_FROM.close"] += len(chunk)
                report.derived_closed += len(result)
                closed.update(str(rec["child"]) for rec in result)
        return closed

    def _write_dated(self, ex: _Executor, dated: Sequence[DatedRecord], run_id: str, report: WriteReport) -> None:
        """Date stored versions by commit histories (the latest history per fact of the batch)."""
        latest: dict[tuple[str, str | None], DatedRecord] = {}
        for record in dated:
            key = (record.model_id, record.parent)
            if key not in latest or record.prov.observed_at >= latest[key].prov.observed_at:
                latest[key] = record
        for chunk in _chunks(list(latest.values()), self._batch_size):
            counts = ex.work(partial(_dated_chunk, chunk=chunk, run_id=run_id))
            report.transactions += 1
            report.rows.update(counts)

    def _ensure_ancestry(self, ex: _Executor, open_edges: list[dict[str, str]], report: WriteReport) -> None:
        for chunk in _chunks(open_edges, self._batch_size):
            result = ex.query(lq.ANCESTRY_ENSURE, {"rows": chunk, "sep": lq.KEY_SEP})
            report.transactions += 1
            report.rows["HAS_ANCESTOR"] += len(chunk)
            report.ancestry_pairs += int(result[0]["pairs"] or 0) if result else 0

    # -- plumbing -----------------------------------------------------------------------

    def _run(
        self,
        ex: _Executor,
        statement: str,
        name: str,
        rows: Sequence[Any],
        report: WriteReport,
        run_id: str,
        *,
        param: str = "rows",
    ) -> None:
        for chunk in _chunks(rows, self._batch_size):
            ex.query(statement, {param: chunk, "run": run_id})
            report.transactions += 1
            report.rows[name] += len(chunk)

    def _run_rounds(
        self,
        ex: _Executor,
        statement: str,
        name: str,
        rows: list[dict[str, Any]],
        key: Callable[[dict[str, Any]], Hashable],
        report: WriteReport,
        run_id: str,
    ) -> None:
        for batch in _rounds(rows, key):
            self._run(ex, statement, name, batch, report, run_id)


class _Executor(Protocol):
    def query(self, statement: str, params: dict[str, Any]) -> list[Any]: ...

    def work(self, fn: Callable[[ManagedTransaction], T]) -> T: ...


class _Batched:
    """Each statement chunk in its own managed (retried) transaction."""

    def __init__(self, driver: Driver, database: str | None) -> None:
        self._driver = driver
        self._database = database

    def query(self, statement: str, params: dict[str, Any]) -> list[Any]:
        records, _, _ = self._driver.execute_query(
            write_query(self._driver, statement), params, database_=self._database, routing_=RoutingControl.WRITE
        )
        return list(records)

    def work(self, fn: Callable[[ManagedTransaction], T]) -> T:
        with self._driver.session(database=self._database) as session:
            return session.execute_write(write_work(self._driver, fn))


class _Timed:
    """An executor that adds the time of each call to ``report.seconds_by`` under its statement's name."""

    def __init__(self, inner: _Executor, report: WriteReport) -> None:
        self._inner = inner
        self._report = report

    def query(self, statement: str, params: dict[str, Any]) -> list[Any]:
        began = time.perf_counter()
        try:
            return self._inner.query(statement, params)
        finally:
            self._report.seconds_by[_STATEMENT_NAMES.get(statement, "other")] += time.perf_counter() - began

    def work(self, fn: Callable[[ManagedTransaction], T]) -> T:
        began = time.perf_counter()
        try:
            return self._inner.work(fn)
        finally:
            name = getattr(getattr(fn, "func", fn), "__name__", "other")
            self._report.seconds_by[_WORK_NAMES.get(name, name)] += time.perf_counter() - began


def _timed(driver: Driver, database: str | None, report: WriteReport) -> _Timed:
    return _Timed(_Batched(driver, database), report)


_STATEMENT_NAMES: dict[str, str] = {
    aq.ALIAS_RESOLVE: "aliases.resolve",
    wq.MODEL_ABSENT: "Model.absent",
    wq.MODEL_CREATE: "Model.created",
    wq.MODEL_UPSERT: "Model",
    wq.MODEL_UNAVAILABLE: "Model.unavailable",
    wq.MODEL_MENTION: "Model.mention",
    wq.PROBLEM_UPSERT: "problems",
    lq.DERIVED_CLOSE_MISSING: "DERIVED_FROM.close",
    lq.ANCESTRY_ENSURE: "HAS_ANCESTOR",
    lq.ANCESTRY_MARK_DIRTY: "ancestry_dirty",
    **{statement: label.value for label, statement in wq.NODE_UPSERT.items()},
    **{statement: kind.value for kind, statement in wq.LINK_UPSERT.items()},
    **{statement: kind.value for kind, statement in wq.VERSIONED_UPSERT.items()},
}
_WORK_NAMES = {"capture_in": "changes.capture", "_derivation_chunk": "DERIVED_FROM", "apply_alias": "aliases.apply", "_dated_chunk": "dated"}


class _InTransaction:
    """Everything inside one caller-owned transaction."""

    def __init__(self, tx: ManagedTransaction) -> None:
        self._tx = tx

    def query(self, statement: str, params: dict[str, Any]) -> list[Any]:
        return list(self._tx.run(statement, params))

    def work(self, fn: Callable[[ManagedTransaction], T]) -> T:
        return fn(self._tx)


def _derivation_chunk(
    tx: ManagedTransaction, chunk: list[DerivationRecord], run_id: str, absent: Collection[str]
) -> tuple[list[EdgeWrite], list[dict[str, str]]]:
    """Read the stored versions of the chunk's edges, merge evidence in Python, write back.

    Children in ``absent`` were not in the graph before this batch: they have no stored edges.
    """
    keys = [{"child": d.child, "parent": d.parent} for d in chunk if d.child not in absent]
    stored: dict[tuple[str, str], list[EdgeVersion]] = {}
    for rec in tx.run(lq.DERIVED_READ, rows=keys) if keys else ():
        stored.setdefault((rec["child"], rec["parent"]), []).append(
            EdgeVersion.from_properties(rec["eid"], rec["props"])
        )
    writes: list[EdgeWrite] = []
    opened: list[dict[str, str]] = []
    for record in chunk:
        versions = stored.get((record.child, record.parent), [])
        plan = plan_derivation(record, versions, run_id)
        if plan is not None:
            writes.append(plan)
        open_now = next((v for v in versions if v.valid_to is None), None)
        if plan is not None and (plan.element_id is None or (open_now and plan.element_id == open_now.element_id)):
            opened.append({"child": record.child, "parent": record.parent, "relation": str(plan.props["relation"])})
        elif open_now is not None:
            opened.append({"child": record.child, "parent": record.parent, "relation": open_now.relation})
    updates = [{"eid": w.element_id, "props": _wire(w.props)} for w in writes if w.element_id is not None]
    creates = [{"child": w.child, "parent": w.parent, "props": _wire(w.props)} for w in writes if w.element_id is None]
    if updates:
        tx.run(lq.DERIVED_UPDATE, rows=updates).consume()
    named = [c for c in creates if c["props"].keys() <= _DERIVED_KEYS]
    if named:
        tx.run(lq.DERIVED_CREATE, rows=named).consume()
    if len(named) < len(creates):
        tx.run(lq.DERIVED_CREATE_ANY, rows=[c for c in creates if not c["props"].keys() <= _DERIVED_KEYS]).consume()
    return writes, opened


def _dated_chunk(tx: ManagedTransaction, chunk: list[DatedRecord], run_id: str) -> Counter[str]:
    """Read the stored versions the chunk's histories date, plan each (graph.history.plan_dated), write."""
    stored: dict[tuple[str, str | None], list[StoredVersion]] = {}
    models = sorted({d.model_id for d in chunk if d.parent is None})
    for rec in tx.run(hq.DECLARES_VERSIONS, ids=models) if models else ():
        stored.setdefault((rec["model"], None), []).append(_stored(rec, str(rec["target"])))
    edges = [{"child": d.model_id, "parent": d.parent} for d in chunk if d.parent is not None]
    for rec in tx.run(hq.DERIVED_VERSIONS, rows=edges) if edges else ():
        stored.setdefault((rec["child"], rec["parent"]), []).append(_stored(rec, str(rec["parent"])))
    moves: list[dict[str, Any]] = []
    ends: list[dict[str, Any]] = []
    licences: list[dict[str, Any]] = []
    parents: list[dict[str, Any]] = []
    for record in chunk:
        plan = plan_dated(stored.get((record.model_id, record.parent), []), record.segments)
        for eid, (start, seg) in plan.moves.items():
            moves.append({"eid": eid, "from": to_micros(start), "rev": seg.revision, "url": seg.url})
        ends.extend({"eid": eid, "to": to_micros(end)} for eid, end in plan.ends.items())
        t = to_micros(record.prov.observed_at)
        for seg in plan.inserts:
            assert seg.valid_to is not None  # plan_dated inserts closed versions only
            row = {"from": to_micros(seg.valid_from), "to": to_micros(seg.valid_to), "t": t, "url": seg.url,
                   "rev": seg.revision}
            if record.parent is None:
                licences.append({**row, "model": record.model_id, "target": seg.target, "raw": seg.props.get("raw"),
                                 "name": seg.props.get("license_name"), "link": seg.props.get("license_link")})
            else:
                evidence = EvidenceRecord(
                    kind=str(EvidenceKind.CARD_BASE_MODEL),
                    detail=f"cardData.base_model {seg.target} at revision {seg.revision} (commit history)",
                    relation=str(seg.props.get("relation") or Relation.UNKNOWN),
                    confidence=1.0, url=seg.url, revision=seg.revision,
                    first_seen=record.prov.observed_at, last_seen=record.prov.observed_at,
                )
                props = edge_properties((evidence,), run_id)
                parents.append({**row, "child": record.model_id, "parent": record.parent,
                                "relation": props["relation"], "confidence": props["confidence"],
                                "evidence": props["evidence"]})
    statuses = [{"id": d.model_id, "from": to_micros(d.earliest)} for d in chunk if d.earliest is not None]
    counts: Counter[str] = Counter()
    for statement, rows, name in (
        (hq.STATUS_DATED, statuses, "dated.status"),
        (hq.DATED_END, ends, "dated.end"),
        (hq.DATED_MOVE, moves, "dated.move"),
        (hq.DECLARES_INSERT, licences, "dated.DECLARES"),
        (hq.DERIVED_INSERT, parents, "dated.DERIVED_FROM"),
    ):
        if rows:
            tx.run(statement, rows=rows, run=run_id).consume()
            counts[name] += len(rows)
    return counts


def _stored(rec: Any, target: str) -> StoredVersion:
    valid_to = None if rec["vt"] is None else to_utc(int(rec["vt"]))
    return StoredVersion(str(rec["eid"]), target, to_utc(int(rec["vf"])), valid_to)


@dataclass(frozen=True, slots=True)
class _Created:
    """Models the batch creates in one statement: absent from the graph, observed once."""

    models: dict[str, ModelRecord] = field(default_factory=dict)
    published: dict[str, VersionedLink] = field(default_factory=dict)
    declares: dict[str, VersionedLink] = field(default_factory=dict)
    full: dict[str, datetime] = field(default_factory=dict)  # the time of its full observation


def _created_once(records: GraphRecords, absent: set[str]) -> _Created:
    """The batch's models to create: absent, with one model row, at most one publisher, one
    licence and one parent set (always so for a listing); the others go the general way."""
    if not absent:
        return _Created()
    counts = (
        Counter(m.id for m in records.models),
        Counter(v.model_id for v in records.versioned if v.type is VersionedLinkType.PUBLISHED),
        Counter(v.model_id for v in records.versioned if v.type is VersionedLinkType.DECLARES),
        Counter(p.child for p in records.parent_sets),
    )
    odd = {v.model_id for v in records.versioned if not v.props.keys() <= _CREATED_LINK_PROPS[v.type]}
    models = {
        m.id: m
        for m in records.models
        if m.id in absent and m.id not in odd and all(c[m.id] <= 1 for c in counts)
        and m.props.keys() <= _CREATED_MODEL_PROPS
    }
    created = _Created(models=models)
    by_kind = {VersionedLinkType.PUBLISHED: created.published, VersionedLinkType.DECLARES: created.declares}
    for v in records.versioned:
        if v.model_id in models:
            by_kind[v.type][v.model_id] = v
    for p in records.parent_sets:
        if p.child in models:
            created.full[p.child] = p.observed_at
    return created


def _touched(records: GraphRecords) -> set[str]:
    """The models whose own state (status, gate, licence, parents, deployments) the batch may have changed."""
    ids = {m.id for m in records.models} | {m.id for m in records.unavailable}
    ids |= {v.model_id for v in records.versioned} | {d.child for d in records.derivations}
    ids |= {p.child for p in records.parent_sets} | {d.model_id for d in records.dated}
    ids |= {link.dst for link in records.links if link.type is LinkType.SERVES}
    return ids


def _model_row(m: ModelRecord) -> dict[str, Any]:
    return {
        "id": m.id,
        "t": to_micros(m.prov.observed_at),
        "url": m.prov.url,
        "rev": m.prov.revision,
        "status": m.status,
        "gate": m.gate,
        "created": _opt_micros(m.props.get("created_at")),
        "modified": _opt_micros(m.props.get("last_modified")),
        "known": m.known_from,
        "props": {k: v for k, v in m.props.items() if k not in _TIME_PROPS},
    }


def _versioned_row(v: VersionedLink) -> dict[str, Any]:
    return {"model": v.model_id, "target": v.target_id, "t": to_micros(v.prov.observed_at), "url": v.prov.url,
            "rev": v.prov.revision, "props": v.props}


def _created_version(v: VersionedLink, keys: Sequence[str]) -> dict[str, Any]:
    return {"target": v.target_id, "t": to_micros(v.prov.observed_at), "url": v.prov.url, "rev": v.prov.revision,
            "vals": [v.props.get(k) for k in keys]}


def _mention_row(model_id: str, prov: Any) -> dict[str, Any]:
    return {"id": model_id, "t": to_micros(prov.observed_at), "url": prov.url, "rev": prov.revision}


_TIME_PROPS = ("created_at", "last_modified")
_CREATED_MODEL_PROPS = frozenset(wq.CREATED_MODEL_PROPS) | frozenset(_TIME_PROPS)
_CREATED_LINK_PROPS = {
    VersionedLinkType.PUBLISHED: frozenset(wq.CREATED_PUBLISHED_PROPS),
    VersionedLinkType.DECLARES: frozenset(wq.CREATED_DECLARES_PROPS),
}
_EDGE_TIMES = ("first_seen", "last_seen", "valid_from")
_DERIVED_KEYS = frozenset(lq.DERIVED_PROPS) | frozenset(lq.DERIVED_TIMES)


def _opt_micros(value: object) -> int | None:
    return to_micros(value) if isinstance(value, datetime) else None


def _wire(props: dict[str, Any]) -> dict[str, Any]:
    """Edge properties with times as epoch microseconds (statements turn them back)."""
    out = dict(props)
    for key in _EDGE_TIMES:
        if key in out:
            out[key] = to_micros(out[key])
    return out


def _chunks(rows: Sequence[T], size: int) -> Iterator[list[T]]:  # noqa: UP047
    for start in range(0, len(rows), size):
        yield list(rows[start : start + size])


def _rounds(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Hashable]) -> list[list[dict[str, Any]]]:
    """Split rows so that no key repeats within a round; a key's rows go in time order."""
    rounds: list[list[dict[str, Any]]] = []
    seen: Counter[Hashable] = Counter()
    for row in sorted(rows, key=lambda r: r["t"]) if len({key(r) for r in rows}) < len(rows) else rows:
        k = key(row)
        n = seen[k]
        seen[k] += 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(row)
    return rounds
