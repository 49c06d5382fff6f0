"""Materialise propagation results on the graph: ``eff_*`` properties on every ``Model`` node.

* :func:`materialise` — compute and store the results of some models (or of all of them);
* :func:`recompute_affected` — after an ancestor's facts changed (licence, relation, a new or
  closed parent): the changed models and every descendant, nothing else, parents first;
* :func:`recompute_all` — the full recompute, in this process (``lineage propagate --all
  --local``): loads the licence knowledge base into ``License``/``Term`` nodes
  (:func:`load_knowledge_base`), then every model, a page of ids at a time (:func:`model_pages`).
  A parallel full recompute hands the same pages to other processes (the propagation
  workers), each storing its page with :func:`materialise`.

What is stored (one ``SET m += props`` per model, batched ``UNWIND``): the engine's flat
properties (:meth:`PropagationResult.to_properties`: ``eff_licenses``, ``eff_terms``,
``eff_commercial_status``, ``eff_conflict_rules``, counts by severity, ``eff_json`` with the
full detail …) plus, for fast aggregates:

* ``eff_conflict_state`` — none | info | warning | violation (worst severity);
* ``eff_rules`` — the distinct conflict rule ids (``eff_conflict_rules`` keeps one entry per
  conflict, so counts by rule are a sum over it);
* ``eff_dropped_terms``, ``eff_violated_terms``, ``eff_relicensed_terms`` (see
  :mod:`terms.propagation.flow` for the exact definitions; the last is absent when empty);
* ``eff_conflict_keys`` — one string per conflict (rule, severity, path, licences;
  :class:`graph.changes.conflict_keys.ConflictKey`), which change capture compares;
* ``eff_agg_key`` — a digest of everything a family aggregate groups by;
* ``eff_version`` (result format), ``eff_store_version`` (these extras), ``eff_kb_version``
  (licence knowledge base) and ``eff_computed_at`` — a result whose versions differ from the
  running code's is stale (:func:`stale_models`).

Models that cannot be computed (known only as a parent, unavailable) have every ``eff_*``
property removed, so no stale result survives them. Everything here runs sequentially in
the calling process; writes run in a background thread while the engine computes the next
chunk; each chunk is one idempotent transaction, so an interrupted recompute is repaired by
running it again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from neo4j import Driver, ManagedTransaction, RoutingControl

from graph.changes.conflict_keys import ConflictKey
from graph.changes.capture import capture_in
from graph.db import write_query, write_work
from graph.errors import translated
from terms.licenses import EuOssEligibility, LicenseCatalog, TriState, default_catalog
from graph.knowledge_base.store import load_catalog
from terms.propagation.bulk import no_cyclic_gc
from terms.propagation.engine import PropagationEngine, PropagationRun
from terms.propagation.flow import TermFlowAnalyzer, aggregation_key, conflict_state
from terms.propagation.incremental import recompute_order
from graph.results.engine_input import load_lineage_view
from terms.propagation.result import (
    RESULT_VERSION,
    CommercialOutcome,
    CommercialResult,
    EuAiActResult,
    PropagationResult,
    Properties,
    Role,
)
from graph.reads import plan as c
from graph.statements import propagation as q

__all__ = [
    "EFF_KEYS",
    "STORE_VERSION",
    "MaterialiseReport",
    "Progress",
    "load_knowledge_base",
    "materialise",
    "model_pages",
    "recompute_affected",
    "recompute_all",
    "recompute_batch",
    "stale_models",
    "stored_properties",
]

log = structlog.get_logger(__name__)

STORE_VERSION = 2
"""Version of the extras stored next to the engine's properties; bump when they change shape or meaning."""

WRITE_BATCH = 2000
"""Models per write transaction."""

COMPUTE_CHUNK = 5000
"""Models computed before their rows are handed to the writer."""

PAGE = 20_000
"""Models per page of the full recompute (each page is loaded with its ancestors)."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: models stored so far, of how many."""

_EXTRA_KEYS = (
    "eff_store_version", "eff_conflict_state", "eff_rules", "eff_dropped_terms", "eff_violated_terms",
    "eff_relicensed_terms", "eff_agg_key", "eff_computed_at", "eff_conflict_keys",
)


def _engine_keys() -> tuple[str, ...]:
    """The keys of :meth:`PropagationResult.to_properties` (read from an empty result, so they stay in step)."""
    sample = PropagationResult(
        model_id="", kb_version="", declared=(), declared_raw=(), licenses=(), term_rows=(), term_ids=(),
        restrictions=(), restrictions_complete=False, conflicts=(),
        commercial=CommercialResult(CommercialOutcome.UNKNOWN),
        eu_ai_act=EuAiActResult(EuOssEligibility.UNKNOWN, (), TriState.UNKNOWN, None, None, TriState.UNKNOWN, ""),
        role=Role.ORIGINAL_PROVIDER, unknown_parts=(),
    )
    return tuple(sample.to_properties())


EFF_KEYS: tuple[str, ...] = _engine_keys() + _EXTRA_KEYS
"""Every property the store sets on a model (all start with ``eff_``)."""


@dataclass(slots=True)
class MaterialiseReport:
    """What one materialisation did, with where the time went."""

    asked: int = 0
    computed: int = 0  # results computed and stored
    cleared: int = 0  # models without a result (not crawled, unavailable): eff_* removed
    view_models: int = 0  # models in the engine's view(s), ancestors included
    round_trips: int = 0  # read statements
    transactions: int = 0  # write transactions
    load_seconds: float = 0.0
    compute_seconds: float = 0.0  # engine and property rows (main thread)
    write_wait_seconds: float = 0.0  # time the main thread waited for writes to finish
    seconds: float = 0.0
    changes: int = 0  # change records the stored results made (graph.changes)
    written: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, float]:
        """The figures of this report (not the ids written), e.g. to send back from a worker."""
        return {
            "asked": self.asked, "computed": self.computed, "cleared": self.cleared, "view_models": self.view_models,
            "round_trips": self.round_trips, "transactions": self.transactions, "load_seconds": self.load_seconds,
            "compute_seconds": self.compute_seconds, "write_wait_seconds": self.write_wait_seconds,
            "seconds": self.seconds,
        }

    @classmethod
    def from_counts(cls, counts: dict[str, float]) -> MaterialiseReport:
        """The report of :meth:`counts` (without the ids written)."""
        return cls(
            asked=int(counts["asked"]), computed=int(counts["computed"]), cleared=int(counts["cleared"]),
            view_models=int(counts["view_models"]), round_trips=int(counts["round_trips"]),
            transactions=int(counts["transactions"]), load_seconds=float(counts["load_seconds"]),
            compute_seconds=float(counts["compute_seconds"]),
            write_wait_seconds=float(counts["write_wait_seconds"]), seconds=float(counts["seconds"]),
            changes=int(counts.get("changes", 0)),
        )

    def merge(self, other: MaterialiseReport) -> None:
        self.asked += other.asked
        self.computed += other.computed
        self.cleared += other.cleared
        self.view_models += other.view_models
        self.round_trips += other.round_trips
        self.transactions += other.transactions
        self.load_seconds += other.load_seconds
        self.compute_seconds += other.compute_seconds
        self.write_wait_seconds += other.write_wait_seconds
        self.changes += other.changes
        self.written |= other.written


def stored_properties(run: PropagationRun, analyzer: TermFlowAnalyzer, result: PropagationResult) -> Properties:
    """The properties stored for one result: the engine's plus the aggregation extras."""
    props = result.to_properties()
    flow = analyzer.facts(run.states[result.model_id], result)
    state = conflict_state(result).value  # stored, and digested by its repr: the plain string
    rules = props["eff_conflict_rules"]
    distinct = sorted(set(rules)) if isinstance(rules, list) else []
    props["eff_store_version"] = STORE_VERSION
    props["eff_conflict_state"] = state
    props["eff_rules"] = distinct
    props["eff_dropped_terms"] = list(flow.dropped)
    props["eff_violated_terms"] = list(flow.violated)
    props["eff_relicensed_terms"] = list(flow.relicensed) if flow.relicensed else None
    props["eff_conflict_keys"] = sorted(
        ConflictKey(c.rule, c.severity.value, tuple(step.model_id for step in c.path), tuple(c.license_ids)).encode()
        for c in result.conflicts
    )
    props["eff_agg_key"] = aggregation_key((
        props["eff_licenses"] or [], props["eff_terms"] or [], flow.dropped, flow.violated, rules or [], state,
        props["eff_commercial_status"] or "",
    ))
    return props


class _Writer:
    """Sends row batches in a background thread (at most ``depth`` batches in flight)."""

    def __init__(
        self, driver: Driver, database: str | None, report: MaterialiseReport, at: datetime, batch: str,
        depth: int = 2,
    ) -> None:
        self._driver = driver
        self._batch = batch
        self._database = database
        self._report = report
        self._depth = depth
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="materialise-writer")
        self._pending: list[Future[None]] = []
        self._at = at

    def _send(self, statement: str, params: dict[str, Any]) -> None:
        with translated():
            self._driver.execute_query(
                write_query(self._driver, statement), params, database_=self._database, routing_=RoutingControl.WRITE
            )

    def submit(self, statement: str, params: dict[str, Any]) -> None:
        while len(self._pending) >= self._depth:
            self._wait_one()
        self._pending.append(self._pool.submit(self._send, statement, params))
        self._report.transactions += 1

    def _store_and_capture(self, rows: list[dict[str, Any]]) -> None:
        """One transaction: the results, then the change records they make (graph.changes.capture)."""

        def work(tx: ManagedTransaction) -> None:
            tx.run(q.WRITE_RESULTS, {"rows": rows, "computed_at": self._at}).consume()
            self._report.changes += len(capture_in(tx, [row["id"] for row in rows], self._batch, self._at))

        with translated(), self._driver.session(database=self._database) as session:
            session.execute_write(write_work(self._driver, work))

    def rows(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), WRITE_BATCH):
            while len(self._pending) >= self._depth:
                self._wait_one()
            self._pending.append(self._pool.submit(self._store_and_capture, rows[start : start + WRITE_BATCH]))
            self._report.transactions += 1

    def clear(self, ids: list[str]) -> None:
        nulls = dict.fromkeys(EFF_KEYS)
        for start in range(0, len(ids), WRITE_BATCH):
            self.submit(q.CLEAR_RESULTS, {"ids": ids[start : start + WRITE_BATCH], "props": nulls})

    def _wait_one(self) -> None:
        began = time.perf_counter()
        try:
            self._pending.pop(0).result()
        finally:
            self._report.write_wait_seconds += time.perf_counter() - began

    def close(self) -> None:
        try:
            while self._pending:
                self._wait_one()
        finally:
            for pending in self._pending:
                pending.cancel()
            self._pool.shutdown(wait=True)


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@dataclass(slots=True)
class _Job:
    """One materialisation: where to read and write, the engine, the report, progress."""

    driver: Driver
    database: str | None
    engine: PropagationEngine
    report: MaterialiseReport
    writer: _Writer
    step: Callable[[int], None]
    grow: Callable[[int], None]

    def compute_rows(self, run: PropagationRun, analyzer: TermFlowAnalyzer, chunk: list[str]) -> list[dict[str, Any]]:
        began = time.perf_counter()
        results = run.results(chunk)
        rows = [{"id": mid, "props": stored_properties(run, analyzer, results[mid])} for mid in chunk]
        run.release(chunk)
        self.report.compute_seconds += time.perf_counter() - began
        return rows

    def store(self, run: PropagationRun, analyzer: TermFlowAnalyzer, order: list[str]) -> None:
        """Compute ``order`` (parents first) a chunk at a time, handing each chunk's rows to the writer."""
        for chunk in _chunks(order, COMPUTE_CHUNK):
            self.writer.rows(self.compute_rows(run, analyzer, chunk))
            self.report.computed += len(chunk)
            self.step(len(chunk))

    def materialise_set(self, asked: Collection[str], descendants: bool) -> None:
        report = self.report
        began = time.perf_counter()
        loaded = load_lineage_view(self.driver, asked, descendants=descendants, database=self.database)
        report.load_seconds += time.perf_counter() - began
        report.round_trips += loaded.round_trips
        targets = set(asked) | loaded.below
        if descendants:
            self.grow(len(targets))
        view = loaded.view
        present = [t for t in targets if t in view.nodes]
        absent = sorted(set(targets) - set(present) - loaded.missing)
        if absent:
            self.writer.clear(absent)
            report.cleared += len(absent)
            self.step(len(absent))
        wanted = set(present)
        order = [m for m in recompute_order(present, view.children_map) if m in wanted]
        run = self.engine.run(view)
        analyzer = TermFlowAnalyzer(self.engine.catalog, run.summarizer)
        report.view_models += len(view.nodes)
        report.written.update(order)
        self.store(run, analyzer, order)


def materialise(
    driver: Driver,
    model_ids: Iterable[str] | None = None,
    *,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    batch: str | None = None,
) -> MaterialiseReport:
    """Compute and store the results of ``model_ids`` (None: every model, see :func:`recompute_all`).

    Only these models are stored (each read with its ancestors): a page of a full recompute.
    ``batch`` names what the change records of the new results belong to (default: a new recompute id).
    """
    if model_ids is None:
        return recompute_all(driver, catalog=catalog, database=database, progress=progress, batch=batch)
    targets = sorted(set(model_ids))
    report = MaterialiseReport(asked=len(targets))
    return _run(driver, [targets], catalog, database, progress, report, len(targets), batch=batch)


def recompute_affected(
    driver: Driver,
    changed_ids: Iterable[str],
    *,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    batch: str | None = None,
) -> MaterialiseReport:
    """Recompute the changed models and every descendant (now), parents before children, cycle-safe.

    ``changed_ids`` are the models whose own facts changed: for a licence, status, name or
    deployment change the model itself; for a DERIVED_FROM edge that opened, closed or changed
    relation, its child. Descendants come from the ancestry index in the same statement as their
    facts (or from a walk of the edges while the index awaits a rebuild).
    """
    changed = sorted(set(changed_ids))
    report = MaterialiseReport(asked=len(changed))
    return _run(driver, [changed], catalog, database, progress, report, 0, descendants=True, batch=batch)


def recompute_all(
    driver: Driver,
    *,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    page_size: int = PAGE,
    batch: str | None = None,
) -> MaterialiseReport:
    """Load the licence knowledge base, then compute and store the result of every model, page by page."""
    catalog = catalog or default_catalog()
    total = load_knowledge_base(driver, catalog=catalog, database=database)
    report = MaterialiseReport(asked=total)
    pages = model_pages(driver, database=database, page_size=page_size)
    return _run(driver, pages, catalog, database, progress, report, total, batch=batch)


def load_knowledge_base(driver: Driver, *, catalog: LicenseCatalog | None = None, database: str | None = None) -> int:
    """Load the licence knowledge base into the graph (first step of a full recompute); returns the models to compute."""
    load_catalog(driver, catalog or default_catalog(), database=database or "neo4j")
    rows = c.read(driver, q.COUNT_MODELS, {}, database)
    return int(rows[0]["n"]) if rows else 0


def model_page(driver: Driver, after: str | None, limit: int, *, database: str | None = None) -> list[str]:
    """The ids of up to ``limit`` models after ``after`` (None: from the first), in id order."""
    rows = c.read(driver, q.MODEL_IDS_PAGE, {"after": after, "limit": limit}, database)
    return [str(r["id"]) for r in rows]


def model_pages(driver: Driver, *, database: str | None = None, page_size: int = PAGE) -> Iterator[list[str]]:
    """Every model id, ``page_size`` at a time, in id order (the pages of a full recompute)."""
    after: str | None = None
    while True:
        ids = model_page(driver, after, page_size, database=database)
        if not ids:
            return
        yield ids
        after = ids[-1]


def _run(
    driver: Driver,
    batches: Iterable[list[str]],
    catalog: LicenseCatalog | None,
    database: str | None,
    progress: Progress | None,
    report: MaterialiseReport,
    total: int,
    *,
    descendants: bool = False,
    batch: str | None = None,
) -> MaterialiseReport:
    began = time.perf_counter()
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    def grow(n: int) -> None:
        nonlocal total
        total += n
        if progress:
            progress(done, total)

    at = datetime.now(UTC)
    writer = _Writer(driver, database, report, at, batch or recompute_batch())
    job = _Job(driver, database, PropagationEngine(catalog), report, writer, step, grow)
    try:
        with no_cyclic_gc():
            for targets in batches:
                job.materialise_set(targets, descendants)
    finally:
        writer.close()
    report.seconds = time.perf_counter() - began
    log.info("propagation.materialised", asked=report.asked, computed=report.computed, cleared=report.cleared,
             seconds=round(report.seconds, 3))
    return report


def recompute_batch() -> str:
    """The batch id of a recompute nobody named (``lineage propagate``, a knowledge-base update)."""
    return f"recompute:{uuid.uuid4().hex[:16]}"


def stale_models(driver: Driver, *, catalog: LicenseCatalog | None = None, database: str | None = None,
                 limit: int = 10_000) -> list[str]:
    """Crawled models whose stored result is missing or from another result format or knowledge base."""
    catalog = catalog or default_catalog()
    rows = c.read(driver, q.STALE_RESULTS, {
        "version": RESULT_VERSION, "store_version": STORE_VERSION, "kb_version": catalog.version, "limit": limit,
    }, database)
    return [str(r["id"]) for r in rows]
