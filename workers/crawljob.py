"""What each hub unit of a crawl job does (the tasks in ``workers.tasks.crawl`` are thin wrappers).

Every function here is idempotent for its unit: claims are owned by the unit (a redelivered
task gets its own models back), batches are keyed by the unit, and units it spawns have
deterministic keys, so running it twice changes nothing but the hub requests it costs.

Skipping unchanged models: a model read again whose sha is the one the graph holds (and
whose status is still ``available``) is not written; it is only stamped as seen by this run
(``graph.recrawl.mark_seen``, done by the write task). An upward crawl does not fetch an
ancestor crawled within ``fresh_for_s`` (its sha is unknown without a request). ``force``
turns both off.
"""

from __future__ import annotations

import json
import random
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from crawler.observations import KnownFrom, ModelSeen, ModelStatus, Observation, ProblemSeen
from crawler.source import HubSource
from graph.errors import GraphRetryableError
from graph.reads.crawl_planning import KnownModel, known_models
from workers import hubwork, pipeline
from workers.context import Resources
from workers.errors import HubUnavailableError
from workers.contract import JobOptions
from workers.jobs import Counter, JobStore
from workers.pipeline import Unit
from workers.serialize import to_json

__all__ = ["UnitRun", "ingest", "run_children", "run_deployers", "run_seed"]

log = structlog.get_logger(__name__)

_NEW = KnownModel(id="", status="unknown", sha=None, last_seen=None, last_modified=None)
_MODEL_STAGE = "model"
_CHILDREN_STAGE = "children"


@dataclass
class UnitRun:
    """One execution of a unit: where it runs, what it spawned, and what it adds to the job's report.

    ``counts`` and ``problems`` are added to the report once per unit (``JobStore.account``),
    however often the unit runs; hub requests are counted on every run (each one cost).
    """

    res: Resources
    job_id: str
    unit: Unit
    options: JobOptions
    final_attempt: bool
    spawned: list[Unit] = field(default_factory=list)
    countdown_units: list[tuple[Unit, float]] = field(default_factory=list)
    counts: Tally[str] = field(default_factory=Tally)
    problems: list[dict[str, str]] = field(default_factory=list)

    @property
    def store(self) -> JobStore:
        return self.res.jobs


def _known(run: UnitRun, ids: Sequence[str]) -> dict[str, KnownModel]:
    """What the graph holds of ``ids``; empty when Neo4j is unreachable (then everything counts as changed)."""
    if not ids:
        return {}
    try:
        return known_models(run.res.driver(), ids, database=run.res.neo4j.database)
    except GraphRetryableError as exc:
        log.info("crawl.graph_unreachable_for_sha_check", crawl_id=run.job_id, error=str(exc))
        return {}


def _unchanged(seen: ModelSeen, known: KnownModel | None, force: bool) -> bool:
    """Same sha as the graph holds — unless the graph knows the model only from a listing and this read has more."""
    return (
        not force
        and known is not None
        and not (known.listed_only and seen.known_from is KnownFrom.CRAWLED)
        and seen.status is ModelStatus.AVAILABLE
        and known.status == ModelStatus.AVAILABLE.value
        and seen.sha is not None
        and known.sha == seen.sha
    )


def _crawl_closes(known: KnownModel) -> bool:
    """A crawl reads all of a model's evidence: it closes the edges of any model the graph held as read."""
    return known.crawled


def ingest(
    run: UnitRun,
    observations: Sequence[Observation],
    keep: Callable[[str], bool],
    closes: Callable[[KnownModel], bool] = _crawl_closes,
) -> None:
    """Turn what a unit read into write units: kept groups, minus unchanged models (stamped as seen instead).

    ``closes(known)``: whether an observation of that known model names all its parents, so that
    edges it no longer names are closed (a listing does for a model only ever listed, not for one
    whose files and configs were read: those gave evidence a listing cannot see).
    """
    grouped = hubwork.group_by_model(observations)
    kept = [model_id for model_id in grouped.by_model if keep(model_id)]
    seen = {model_id: m for model_id, m in grouped.models_seen().items() if model_id in set(kept)}
    known = _known(run, sorted(seen))
    unchanged = {model_id for model_id, m in seen.items() if _unchanged(m, known.get(model_id), run.options.force)}
    touches = [[m.id, m.sha, m.source.observed_at.isoformat()] for m in seen.values() if m.id in unchanged]
    groups = [grouped.by_model[model_id] for model_id in kept if model_id not in unchanged]
    problems = [
        {"model_id": o.model_id, "kind": o.kind.value, "message": o.message}
        for model_id in kept
        for o in grouped.by_model[model_id]
        if isinstance(o, ProblemSeen)
    ]
    run.problems.extend(problems)
    batches = _batches(grouped.other, groups, run.res.settings.write_batch_models)
    if touches and not batches:
        batches = [[]]
    written = 0
    for index, batch in enumerate(batches):
        unit = pipeline.write_unit(run.unit, index)
        # a model the graph held as crawled may have parents this observation no longer names: the writer
        # closes those edges ("full" observation); a model new to the graph has nothing to close
        full = sorted({o.id for o in batch if isinstance(o, ModelSeen) and closes(known.get(o.id, _NEW))})
        payload = {
            "observations": [to_json(o) for o in batch],
            "full": full,
            "seen_unchanged": touches if index == 0 else [],
        }
        models = len({o.id for o in batch if isinstance(o, ModelSeen)})
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        run.store.put_batch(run.job_id, unit.key, text, models + (len(touches) // 10 if index == 0 else 0))
        run.spawned.append(unit)
        written += len(batch)
    run.counts.update({Counter.SEEN.value: len(seen), Counter.SKIPPED_UNCHANGED.value: len(unchanged),
                       Counter.OBSERVATIONS.value: written})


def _batches(other: list[Observation], groups: list[list[Observation]], max_models: int) -> list[list[Observation]]:
    """Whole groups per batch, at most ``max_models`` groups each; aliases go first, in the first batch."""
    if not other and not groups:
        return []
    batches: list[list[Observation]] = [list(other)]
    count = 0
    for group in groups:
        if count >= max_models:
            batches.append([])
            count = 0
        batches[-1].extend(group)
        count += 1
    return batches


def _stop_at(run: UnitRun, seed: str) -> Callable[[str], bool]:
    """An upward crawl's stop rule: an ancestor crawled recently, or claimed by another unit of this job."""
    decided: dict[str, bool] = {}
    fresh_since = datetime.now(UTC) - timedelta(seconds=run.res.settings.fresh_for_s)

    def stop(parent: str) -> bool:
        if parent in decided:
            return decided[parent]
        known = None if run.options.force or not run.res.settings.fresh_for_s else _known(run, [parent]).get(parent)
        if known is not None and known.crawled and known.last_seen is not None and known.last_seen >= fresh_since:
            decided[parent] = True
            run.counts[Counter.SKIPPED_UNCHANGED.value] += 1
        else:
            decided[parent] = not run.store.claim(run.job_id, parent, stage=_MODEL_STAGE, owner=run.unit.key)
        return decided[parent]

    return stop


def _count_requests(run: UnitRun, source: HubSource) -> None:
    counts = {Counter.HUB_REQUESTS: source.report.hub_requests}
    if source.report.history_requests:
        counts[Counter.HISTORY_REQUESTS] = source.report.history_requests
    run.store.increment(run.job_id, counts)


def run_seed(run: UnitRun, model_id: str) -> None:
    """Crawl a seed (and up to its roots), then spawn its children listing and deployers.

    A seed another unit of the job already read (e.g. through a listing) is still read here when
    the job goes up, to walk up from it; its own observations are then left to that unit.
    """
    current = model_id
    mine = run.store.claim(run.job_id, model_id, stage=_MODEL_STAGE, owner=run.unit.key)
    if mine or run.options.up:
        with run.res.source(run.options.endpoint, history=run.options.history and not run.options.is_sweep) as source:
            try:
                outcome = hubwork.crawl_model(
                    source, model_id, up=run.options.up, stop_at=_stop_at(run, model_id) if run.options.up else None
                )
            finally:
                _count_requests(run, source)
        if outcome.transient and not run.final_attempt:
            raise HubUnavailableError(f"the hub kept failing for {model_id}: {_first_message(outcome.transient)}")
        current = outcome.current_id or model_id
        others = set() if mine else {model_id, current}
        ingest(run, outcome.observations, keep=lambda m: m not in others)
    if run.options.down > 0 and run.store.claim_many(
        run.job_id, [current], stage=_CHILDREN_STAGE, owner=run.unit.key, budget=run.options.down
    ):
        run.spawned.append(pipeline.children_unit(1, [current]))
    if run.options.deployers:
        run.spawned.append(pipeline.deployers_unit(current))


def run_children(run: UnitRun, depth: int, parents: Sequence[str], attempt: int) -> None:
    """List one level of children of ``parents``; spawn the next level, and a later retry of failed listings."""
    listed: list[Observation] = []
    failed: list[str] = []
    children: list[str] = []
    with run.res.source(run.options.endpoint) as source:
        try:
            for parent in parents:
                outcome = hubwork.list_children(source, parent, breadth=run.options.breadth)
                if outcome.transient and attempt < run.res.settings.unit_retries:
                    failed.append(parent)
                    continue
                found = {o.id for o in outcome.observations if isinstance(o, ModelSeen) and o.id.lower() != parent.lower()}
                # a child listed under two of these parents (a merge) is taken from the first listing only,
                # as it would be had the two listings been in different units
                known = set(children)
                listed.extend(o for o in outcome.observations if hubwork.subject_of(o) not in known)
                children.extend(sorted(found - known))
        finally:
            _count_requests(run, source)
    children = list(dict.fromkeys(children))
    mine = run.store.claim_many(run.job_id, children, stage=_MODEL_STAGE, owner=run.unit.key)
    child_set = set(children)
    ingest(run, listed, keep=lambda model_id: model_id in mine or model_id not in child_set)
    if depth < run.options.down:
        expand = run.store.claim_many(
            run.job_id, children, stage=_CHILDREN_STAGE, owner=run.unit.key, budget=run.options.down - depth
        )
        ordered = [c for c in children if c in expand]
        chunk = run.res.settings.expand_chunk
        for start in range(0, len(ordered), chunk):
            run.spawned.append(pipeline.children_unit(depth + 1, ordered[start : start + chunk]))
    if failed:
        delay = pipeline.backoff_s(attempt, run.res.settings, random.random())
        run.countdown_units.append((pipeline.children_unit(depth, failed, attempt + 1), delay))
        run.counts[Counter.RETRIES.value] += len(failed)


def run_deployers(run: UnitRun, model_id: str) -> None:
    """Spaces using the model and inference providers serving it."""
    with run.res.source(run.options.endpoint) as source:
        try:
            outcome = hubwork.list_deployers(source, model_id)
        finally:
            _count_requests(run, source)
    if outcome.transient and not run.final_attempt:
        raise HubUnavailableError(f"the hub kept failing for the deployers of {model_id}")
    ingest(run, outcome.observations, keep=lambda _: True)


def _first_message(observations: Sequence[Observation]) -> str:
    for observation in observations:
        if isinstance(observation, ProblemSeen):
            return observation.message
    return "unavailable"
