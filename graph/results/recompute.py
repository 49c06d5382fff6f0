"""Materialise propagation results on the graph: ``eff_*`` properties on every ``Model`` node.

* :func:`materialise` — compute and store the results of some models (or of all of them);
* :func:`recompute_affected` — after an ancestor's facts changed (licence, relation, a new or
  closed parent): the changed models and every descendant, nothing else, parents first;
* :func:`recompute_all` — the full recompute (``lineage propagate --all``): loads the licence
  knowledge base into ``License``/``Term`` nodes, then every model, a page of ids at a time.

What is stored (one ``SET m += props`` per model, batched ``UNWIND``): the engine's flat
properties (:meth:`PropagationResult.to_properties`: ``eff_licenses``, ``eff_terms``,
``eff_commercial_status``, ``eff_conflict_rules``, counts by severity, ``eff_json`` with the
full detail …) plus, for fast aggregates:

* ``eff_conflict_state`` — none | info | warning | violation (worst severity);
* ``eff_rules`` — the distinct conflict rule ids (``eff_conflict_rules`` keeps one entry per
  conflict, so counts by rule are a sum over it);
* ``eff_dropped_terms``, ``eff_violated_terms``, ``eff_relicensed_terms`` (see
  :mod:`terms.propagation.flow` for the exact definitions; the last is absent when empty);
* ``eff_agg_key`` — a digest of everything a family aggregate groups by;
* ``eff_version`` (result format), ``eff_store_version`` (these extras), ``eff_kb_version``
  (licence knowledge base) and ``eff_computed_at`` — a result whose versions differ from the
  running code's is stale (:func:`stale_models`).

Models that cannot be computed (known only as a parent, unavailable) have every ``eff_*``
property removed, so no stale result survives them. Writes run in a background thread
while the engine computes the next chunk; each chunk is one idempotent transaction, so an
interrupted recompute is repaired by running it again.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import structlog
from neo4j import Driver, RoutingControl

from graph.db import write_query
from graph.errors import (
    GraphQueryError,
    GraphRetryableError,
    GraphTransient,
    translated,
)
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
    "materialise",
    "recompute_affected",
    "recompute_all",
    "stale_models",
    "stored_properties",
]

log = structlog.get_logger(__name__)

STORE_VERSION = 1
"""Version of the extras stored next to the engine's properties; bump when they change shape or meaning."""

WRITE_BATCH = 2000
"""Models per write transaction."""

COMPUTE_CHUNK = 5000
"""Models computed before their rows are handed to the writer."""

PAGE = 20_000
"""Models per page of the full recompute (each page is loaded with its ancestors)."""

PARALLEL_MIN = 20_000
"""Smallest set of models worth splitting between processes."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: models stored so far, of how many."""

_EXTRA_KEYS = (
    "eff_store_version", "eff_conflict_state", "eff_rules", "eff_dropped_terms", "eff_violated_terms",
    "eff_relicensed_terms", "eff_agg_key", "eff_computed_at",
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
    written: set[str] = field(default_factory=set)

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
    props["eff_agg_key"] = aggregation_key((
        props["eff_licenses"] or [], props["eff_terms"] or [], flow.dropped, flow.violated, rules or [], state,
        props["eff_commercial_status"] or "",
    ))
    return props


class _Writer:
    """Sends row batches in a background thread (at most ``depth`` batches in flight)."""

    def __init__(
        self, driver: Driver, database: str | None, report: MaterialiseReport, at: datetime, depth: int = 2
    ) -> None:
        self._driver = driver
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

    def rows(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), WRITE_BATCH):
            self.submit(q.WRITE_RESULTS, {"rows": rows[start : start + WRITE_BATCH], "computed_at": self._at})

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
    """One materialisation: where to read and write, the engine, the report, how to split the work."""

    driver: Driver
    database: str | None
    engine: PropagationEngine
    report: MaterialiseReport
    writer: _Writer
    at: datetime
    step: Callable[[int], None]
    grow: Callable[[int], None]
    workers: int
    connect: Callable[[], Driver] | None

    def compute_rows(self, run: PropagationRun, analyzer: TermFlowAnalyzer, chunk: list[str],
                     report: MaterialiseReport) -> list[dict[str, Any]]:
        began = time.perf_counter()
        results = run.results(chunk)
        rows = [{"id": mid, "props": stored_properties(run, analyzer, results[mid])} for mid in chunk]
        run.release(chunk)
        report.compute_seconds += time.perf_counter() - began
        return rows

    def store(self, run: PropagationRun, analyzer: TermFlowAnalyzer, order: list[str], writer: _Writer,
              report: MaterialiseReport, step: Callable[[int], None]) -> None:
        for chunk in _chunks(order, COMPUTE_CHUNK):
            writer.rows(self.compute_rows(run, analyzer, chunk, report))
            report.computed += len(chunk)
            step(len(chunk))

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
        if self.workers > 1 and self.connect is not None and len(order) >= PARALLEL_MIN:
            self._parallel(run, analyzer, order)
        else:
            self.store(run, analyzer, order, self.writer, report, self.step)

    def _parallel(self, run: PropagationRun, analyzer: TermFlowAnalyzer, order: list[str]) -> None:
        """States first (shared), then the results split between this process and forked workers."""
        began = time.perf_counter()
        run.ensure(order)
        self.report.compute_seconds += time.perf_counter() - began
        share = -(-len(order) // self.workers)
        slices = [order[i : i + share] for i in range(0, len(order), share)]
        context = multiprocessing.get_context("fork")
        children = []
        for part in slices[1:]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=self._child, args=(run, analyzer, part, send), daemon=True)
            process.start()
            send.close()
            children.append((process, receive))
        try:
            self.store(run, analyzer, slices[0], self.writer, self.report, self.step)
            for process, receive in children:
                self._collect(receive)
                process.join()
        finally:
            for process, _ in children:
                if process.is_alive():
                    process.terminate()
                    process.join()

    def _collect(self, receive: Connection) -> None:
        while True:
            try:
                message = receive.recv()
            except EOFError as exc:
                raise GraphTransient("a propagation worker process ended without reporting") from exc
            kind = message[0]
            if kind == "progress":
                self.step(int(message[1]))
            elif kind == "done":
                _, computed, transactions, compute_s, wait_s = message
                self.report.computed += computed
                self.report.transactions += transactions
                self.report.compute_seconds += compute_s
                self.report.write_wait_seconds += wait_s
                return
            else:
                _, text, retryable = message
                raise (GraphTransient if retryable else GraphQueryError)(f"propagation worker failed: {text}")

    def _child(self, run: PropagationRun, analyzer: TermFlowAnalyzer, ids: list[str], send: Connection) -> None:
        """In a forked process: compute and store ``ids`` through a driver of its own."""
        try:
            assert self.connect is not None
            driver = self.connect()
            sub = MaterialiseReport()
            writer = _Writer(driver, self.database, sub, self.at)
            try:
                self.store(run, analyzer, ids, writer, sub, lambda n: send.send(("progress", n)))
            finally:
                writer.close()
                driver.close()
            send.send(("done", sub.computed, sub.transactions, sub.compute_seconds, sub.write_wait_seconds))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
            send.send(("error", f"{type(exc).__name__}: {exc}", isinstance(exc, GraphRetryableError)))
        finally:
            send.close()


def materialise(
    driver: Driver,
    model_ids: Iterable[str] | None = None,
    *,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    connect: Callable[[], Driver] | None = None,
) -> MaterialiseReport:
    """Compute and store the results of ``model_ids`` (None: every model, see :func:`recompute_all`).

    ``workers`` > 1 with ``connect`` (a function returning a new driver) splits a large set
    (at least ``PARALLEL_MIN`` models) between this process and forked worker processes, each
    writing through its own driver; the lineage is read and the states computed once.
    """
    if model_ids is None:
        return recompute_all(driver, catalog=catalog, database=database, progress=progress, workers=workers,
                             connect=connect)
    targets = sorted(set(model_ids))
    report = MaterialiseReport(asked=len(targets))
    return _run(driver, [targets], catalog, database, progress, report, len(targets), workers, connect)


def recompute_affected(
    driver: Driver,
    changed_ids: Iterable[str],
    *,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    connect: Callable[[], Driver] | None = None,
) -> MaterialiseReport:
    """Recompute the changed models and every descendant (now), parents before children, cycle-safe.

    ``changed_ids`` are the models whose own facts changed: for a licence, status, name or
    deployment change the model itself; for a DERIVED_FROM edge that opened, closed or changed
    relation, its child. Descendants come from the ancestry index in the same statement as their
    facts (or from a walk of the edges while the index awaits a rebuild). Keep ``workers=1``
    inside a threaded Celery worker (worker processes are forked).
    """
    changed = sorted(set(changed_ids))
    report = MaterialiseReport(asked=len(changed))
    return _run(driver, [changed], catalog, database, progress, report, 0, workers, connect, descendants=True)


def recompute_all(
    driver: Driver,
    *,
    catalog: LicenseCatalog | None = None,
    database: str | None = None,
    progress: Progress | None = None,
    page_size: int = PAGE,
    workers: int = 1,
    connect: Callable[[], Driver] | None = None,
) -> MaterialiseReport:
    """Load the licence knowledge base, then compute and store the result of every model."""
    catalog = catalog or default_catalog()
    load_catalog(driver, catalog, database=database or "neo4j")
    rows = c.read(driver, q.COUNT_MODELS, {}, database)
    total = int(rows[0]["n"]) if rows else 0
    report = MaterialiseReport(asked=total)
    pages = _pages(driver, database, page_size)
    return _run(driver, pages, catalog, database, progress, report, total, workers, connect)


def _pages(driver: Driver, database: str | None, size: int) -> Iterator[list[str]]:
    after: str | None = None
    while True:
        rows = c.read(driver, q.MODEL_IDS_PAGE, {"after": after, "limit": size}, database)
        ids = [str(r["id"]) for r in rows]
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
    workers: int,
    connect: Callable[[], Driver] | None,
    *,
    descendants: bool = False,
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
    writer = _Writer(driver, database, report, at)
    job = _Job(driver, database, PropagationEngine(catalog), report, writer, at, step, grow, max(1, workers),
               connect)
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


def stale_models(driver: Driver, *, catalog: LicenseCatalog | None = None, database: str | None = None,
                 limit: int = 10_000) -> list[str]:
    """Crawled models whose stored result is missing or from another result format or knowledge base."""
    catalog = catalog or default_catalog()
    rows = c.read(driver, q.STALE_RESULTS, {
        "version": RESULT_VERSION, "store_version": STORE_VERSION, "kb_version": catalog.version, "limit": limit,
    }, database)
    return [str(r["id"]) for r in rows]
