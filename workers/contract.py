"""What the workers and the processes that talk to them (the API, the CLI) agree on.

Nothing here needs more than the standard library, so a client can import it without Celery,
Neo4j or the crawler:

* the names of the tasks a client sends (a task is sent by name; its code lives in the workers);
* the job a client reads back (:class:`JobSnapshot`, with its :class:`JobOptions` and :class:`JobState`);
* the errors a client sees (defined in :mod:`workers.errors`)::

      WorkersError
      ├── CoordinationUnavailable   Redis (job store or broker) did not answer in time
      └── InvalidCrawlRequest       bad seeds or options; repeating the request cannot help
"""

from __future__ import annotations

import enum
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from workers.errors import CoordinationUnavailable, InvalidCrawlRequest, WorkersError

__all__ = [
    "TASK_CHILDREN",
    "TASK_DELIVER",
    "TASK_DEPLOYERS",
    "TASK_DISPATCH",
    "TASK_DISPATCH_LEFTOVERS",
    "TASK_FINALIZE",
    "TASK_PROPAGATE",
    "TASK_PROPAGATE_PAGE",
    "TASK_PRUNE_CHANGES",
    "TASK_RECOMPUTE",
    "TASK_RECOMPUTE_MODELS",
    "TASK_SEED",
    "TASK_SWEEP_PAGE",
    "TASK_SWEEP_START",
    "TASK_WRITE",
    "CoordinationUnavailable",
    "InvalidCrawlRequest",
    "JobOptions",
    "JobSnapshot",
    "JobState",
    "WorkersError",
]

# -- units of a crawl job (first two arguments: job id, unit key) ---------------------------------
TASK_SEED = "lineage.crawl.seed"
TASK_CHILDREN = "lineage.crawl.children"
TASK_DEPLOYERS = "lineage.crawl.deployers"
TASK_WRITE = "lineage.crawl.write"
TASK_FINALIZE = "lineage.crawl.finalize"
TASK_PROPAGATE = "lineage.crawl.propagate"
TASK_PROPAGATE_PAGE = "lineage.crawl.propagate_page"

# -- units of a sweep (a crawl job that lists the whole hub) ----------------------------------------
TASK_SWEEP_PAGE = "lineage.sweep.page"
"""``(job id, unit key, page number, page URL, stop before)``: read one listing page, spawn the next."""
TASK_SWEEP_START = "lineage.sweep.start"
"""``()``: start an incremental sweep of the configured hub unless one is running (sent by beat)."""

# -- propagation results ----------------------------------------------------------------------------
TASK_DISPATCH = "lineage.watch.dispatch"
"""Args ``[batch]``: match the batch's change records against the watches, store and send the events."""
TASK_DELIVER = "lineage.watch.deliver"
"""Args ``[event_id, attempt]``: one attempt to deliver an event to its watch's webhook."""
TASK_DISPATCH_LEFTOVERS = "lineage.watch.dispatch_leftovers"
"""Dispatch batches whose changes were never dispatched (a worker died before the batch's dispatch)."""
TASK_PRUNE_CHANGES = "lineage.watch.prune"
"""Delete change records and finished events past their retention."""
TASK_RECOMPUTE = "lineage.propagation.recompute"
"""``(model_ids)``: recompute these models and every descendant (their facts changed)."""
TASK_RECOMPUTE_MODELS = "lineage.propagation.recompute_models"
"""``(model_ids)``: recompute exactly these models (one chunk of a full recompute); returns counts."""


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class JobOptions:
    seeds: tuple[str, ...]
    endpoint: str
    up: bool = True
    down: int = 0
    deployers: bool = False
    breadth: int = 10_000
    force: bool = False  # crawl even when the sha has not changed
    sweep: str = ""  # "" (a crawl of seeds), "full" (list the whole hub) or "since" (list what changed)
    since: str | None = None  # a "since" sweep stops at models older than this (ISO); None: the stored mark
    page_size: int = 1000  # models per listing page of a sweep
    # a crawl of named models reads each fetched model's commit history (crawler.history), so that its
    # licence and base-model declarations are dated by the commits that made them; sweeps never do
    history: bool = True

    @property
    def is_sweep(self) -> bool:
        return bool(self.sweep)


@dataclass(frozen=True)
class JobSnapshot:
    id: str
    state: JobState
    options: JobOptions
    counters: dict[str, int]
    problems_by_kind: dict[str, int]
    pending: int
    created_at: float
    finished_at: float | None
    problem_samples: list[dict[str, str]] = field(default_factory=list)
    progress_at: float | None = None

    @property
    def duration_s(self) -> float:
        return (self.finished_at or time.time()) - self.created_at

    @property
    def finished(self) -> bool:
        """True once no unit is outstanding (a cancelled job finishes when its queued units have drained)."""
        return self.pending <= 0 and self.state is not JobState.RUNNING

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["duration_s"] = round(self.duration_s, 3)
        return data
