"""Rows of a dump → observations → the graph, a batch at a time, resumable.

One way through the data, the sweep's: each row becomes the Hub's JSON for one listed model
(:func:`dumps.rows.hub_item`), ``huggingface_hub.ModelInfo(**item)``, then
:func:`crawler.listing.observe_listed` with a :class:`~crawler.observations.Source` naming the file
and the row; a batch of rows goes to :meth:`graph.writer.GraphWriter.write` in one call, stamped
with the run id ``import-<first 16 hex digits of the file's sha256>`` (the same for every run over
the same file, so a resumed import stamps what it writes as the first run would have).

Failures of the graph: a batch whose write raises a retryable graph error (Neo4j down, a transient
error) is written again, whole, after a backoff (doubling from ``retry_backoff_base_s`` up to
``retry_backoff_max_s``, with jitter) until it succeeds or ``retry_max_wait_s`` has passed since its
first failure — then :class:`~dumps.errors.GraphGaveUp`. Writing a batch again is safe: the
writer's statements are idempotent for the same observations. After each written batch the
checkpoint (when one is kept) records the next row, so ``--resume`` continues from there; a
permanent graph error stops the import at once, with the checkpoint of the last written batch.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from huggingface_hub import ModelInfo

from crawler.listing import observe_listed
from crawler.observations import Observation, ProblemKind, ProblemSeen, Source
from dumps.errors import CheckpointMismatch, GraphGaveUp
from dumps.reader import DumpFile, iter_rows, row_url
from dumps.report import ImportReport
from dumps.rows import RowProblem, hub_item, model_info
from dumps.settings import ImportSettings
from graph.errors import GraphRetryableError
from graph.writer import GraphWriter

__all__ = ["Checkpoint", "DumpImporter", "run_id_of"]

log = structlog.get_logger(__name__)


def run_id_of(dump: DumpFile) -> str:
    """The run id every import of this file stamps on what it writes."""
    return "import-" + dump.revision.removeprefix("sha256:")[:16]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where an import of one file stopped: the next row to import (a small JSON file, replaced atomically)."""

    path: Path

    def load(self, dump: DumpFile) -> int:
        """The next row recorded for ``dump`` (0 when there is no checkpoint yet)."""
        if not self.path.exists():
            return 0
        try:
            saved = json.loads(self.path.read_text())
            uri, revision, next_row = saved["file"], saved["revision"], int(saved["next_row"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointMismatch(f"{self.path}: not a checkpoint of lineage import ({exc})") from exc
        if uri != dump.uri or revision != dump.revision:
            raise CheckpointMismatch(
                f"{self.path} is the checkpoint of {uri} ({revision}), not of {dump.uri} ({dump.revision}); "
                "remove it or pass another --checkpoint"
            )
        return next_row

    def save(self, dump: DumpFile, next_row: int) -> None:
        staged = self.path.with_name(self.path.name + ".tmp")
        staged.write_text(json.dumps({"file": dump.uri, "revision": dump.revision, "next_row": next_row,
                                      "rows": dump.num_rows}))
        os.replace(staged, self.path)


@dataclass
class DumpImporter:
    """Imports one dump through ``writer``; ``on_batch`` sees the report after every written batch."""

    writer: GraphWriter
    settings: ImportSettings = field(default_factory=ImportSettings)
    on_batch: Callable[[ImportReport], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic

    def run(
        self, dump: DumpFile, *, limit: int | None = None, checkpoint: Checkpoint | None = None, resume: bool = False
    ) -> ImportReport:
        """Import the rows of ``dump`` (from the checkpoint's row with ``resume``; at most ``limit`` rows)."""
        start = checkpoint.load(dump) if (resume and checkpoint is not None) else 0
        if checkpoint is not None:
            checkpoint.save(dump, start)  # before any write: an unwritable checkpoint stops the import here
        report = ImportReport(str(dump.path), dump.revision, dump.observed_from, start_row=start, next_row=start)
        end = dump.num_rows if limit is None else min(dump.num_rows, start + limit)
        run_id = run_id_of(dump)
        started = time.perf_counter()
        tick = started
        for first, rows in iter_rows(dump, batch_rows=self.settings.batch_rows, start_row=start):
            rows = rows[: max(0, end - first)]
            report.read_s += time.perf_counter() - tick
            if not rows:
                break
            observations: list[Observation] = []
            for offset, row in enumerate(rows):
                observations.extend(self._row(dump, first + offset, row, report))
            report.rows_read += len(rows)
            tick = time.perf_counter()
            self._write(observations, run_id, first, report)
            report.write_s += time.perf_counter() - tick
            report.next_row = first + len(rows)
            report.batches += 1
            if checkpoint is not None:
                checkpoint.save(dump, report.next_row)
            report.seconds = time.perf_counter() - started
            if self.on_batch is not None:
                self.on_batch(report)
            tick = time.perf_counter()
            if report.next_row >= end:
                break
        report.seconds = time.perf_counter() - started
        return report

    def _row(self, dump: DumpFile, number: int, row: dict[str, Any], report: ImportReport) -> list[Observation]:
        t0 = time.perf_counter()
        source = Source(url=row_url(dump, number), revision=dump.revision, observed_at=dump.observed_at)
        item, problems = hub_item(row, dump.columns)
        if item is None:
            report.rows_without_model += 1
            for problem in problems:
                report.problem(problem.kind.value, f"row={number}", problem.message)
            report.convert_s += time.perf_counter() - t0
            return []
        info = _model_info(item, problems)
        if info is None:
            report.rows_without_model += 1
            report.problem(ProblemKind.MALFORMED_CARD.value, f"row={number}", f"{item['id']}: {problems[-1].message}")
            report.convert_s += time.perf_counter() - t0
            return []
        t1 = time.perf_counter()
        report.convert_s += t1 - t0
        observations = observe_listed(info, source)
        observations.extend(ProblemSeen(item["id"], p.kind, p.message, source) for p in problems)
        report.observe_s += time.perf_counter() - t1
        report.base_models_used += _from_base_models(row, dump, item)
        report.record(observations)
        return observations

    def _write(self, observations: list[Observation], run_id: str, first_row: int, report: ImportReport) -> None:
        failing_since: float | None = None
        attempt = 0
        while True:
            try:
                self.writer.write(observations, run_id=run_id)
                return
            except GraphRetryableError as exc:
                now = self.clock()
                failing_since = now if failing_since is None else failing_since
                waited = now - failing_since
                if waited >= self.settings.retry_max_wait_s:
                    raise GraphGaveUp(first_row, waited, exc) from exc
                ceiling = min(self.settings.retry_backoff_max_s, self.settings.retry_backoff_base_s * 2**attempt)
                delay = min(ceiling * (0.5 + 0.5 * self.rand()), self.settings.retry_max_wait_s - waited)
                log.info("import.retry", first_row=first_row, error=type(exc).__name__, attempt=attempt + 1)
                report.retries += 1
                report.retry_wait_s += delay
                self.sleep(delay)
                attempt += 1


_UNREADABLE = (TypeError, ValueError, KeyError, AttributeError)


def _model_info(item: dict[str, Any], problems: list[RowProblem]) -> ModelInfo | None:
    """``ModelInfo(**item)``; a card it cannot take is left out (and said so) rather than losing the row;
    None (with the reason as the last problem) when even the item without its card is refused."""
    try:
        return model_info(item)
    except _UNREADABLE as exc:
        card = item.pop("cardData", None)
        problems.append(RowProblem(ProblemKind.MALFORMED_CARD, f"cardData not readable as a model card ({exc}): {card!r:.160}"))
    try:
        return model_info(item)
    except _UNREADABLE as exc:
        problems.append(RowProblem(ProblemKind.MALFORMED_CARD, f"not readable as a Hub model item ({exc})"))
        return None


def _from_base_models(row: dict[str, Any], dump: DumpFile, item: dict[str, Any]) -> bool:
    """Whether the row's lineage tags were made from its baseModels column (its own tags had none)."""
    raw_tags = row.get(dump.columns["tags"])
    own = raw_tags if isinstance(raw_tags, list) else []
    had = any(isinstance(t, str) and t.startswith("base_model:") for t in own)
    made = any(isinstance(t, str) and t.startswith("base_model:") for t in item.get("tags") or ())
    return made and not had
