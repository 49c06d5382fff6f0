"""GraphQL types of crawl jobs, built from the workers' ``JobSnapshot``."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import strawberry

from workers.contract import JobSnapshot

__all__ = ["CrawlCounters", "CrawlJob", "CrawlJobState", "KindCount", "ProblemSample", "SweepMode", "SweepScope"]


@strawberry.enum(description="Where a crawl job is.")
class CrawlJobState(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


@strawberry.enum(description="What a sweep lists: every model, or those modified since a time.")
class SweepMode(enum.Enum):
    FULL = "full"
    SINCE = "since"


@strawberry.type(description="What a sweep of the hub's model listing covers, and how far it got.")
class SweepScope:
    mode: SweepMode
    since: datetime | None = strawberry.field(
        description="A SINCE sweep stops at models older than this; null: the high-water mark of the last sweep."
    )
    page_size: int
    pages_listed: int
    marked_stale: int = strawberry.field(description="Models a FULL sweep found no longer listed and marked stale.")


@strawberry.type(description="Live counters of a crawl job.")
class CrawlCounters:
    models_seen: int
    models_written: int
    queued: int
    skipped_unchanged: int
    problems: int
    hub_requests: int
    observations: int
    retries: int


@strawberry.type
class KindCount:
    kind: str
    count: int


@strawberry.type(description="One problem the crawl recorded (a bounded, de-duplicated sample).")
class ProblemSample:
    model_id: str | None
    kind: str | None
    message: str | None


def _at(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


@strawberry.type(description="A crawl job (or a sweep of the hub's listing): its options, state, live counters and problems.")
class CrawlJob:
    id: strawberry.ID
    state: CrawlJobState
    sweep: SweepScope | None = strawberry.field(description="Set when the job is a sweep of the hub's model listing.")
    seeds: list[str]
    up: bool
    down: int
    deployers: bool
    endpoint: str
    counters: CrawlCounters
    all_counters: list[KindCount] = strawberry.field(description="Every counter the job keeps, by name.")
    problems_by_kind: list[KindCount]
    problem_samples: list[ProblemSample]
    pending: int = strawberry.field(description="Units of work still queued or running.")
    created_at: datetime
    finished_at: datetime | None
    duration_s: float

    @classmethod
    def from_internal(cls, job: JobSnapshot) -> CrawlJob:
        c = job.counters
        options = job.options
        sweep = None
        if options.is_sweep:
            sweep = SweepScope(
                mode=SweepMode(options.sweep),
                since=None if options.since is None else datetime.fromisoformat(options.since),
                page_size=options.page_size,
                pages_listed=c.get("pages_listed", 0),
                marked_stale=c.get("marked_stale", 0),
            )
        return cls(
            id=strawberry.ID(job.id),
            state=CrawlJobState(job.state.value),
            sweep=sweep,
            seeds=list(job.options.seeds),
            up=job.options.up,
            down=job.options.down,
            deployers=job.options.deployers,
            endpoint=job.options.endpoint,
            counters=CrawlCounters(
                models_seen=c.get("models_seen", 0),
                models_written=c.get("models_written", 0),
                queued=c.get("queued", 0),
                skipped_unchanged=c.get("skipped_unchanged", 0),
                problems=c.get("problems", 0),
                hub_requests=c.get("hub_requests", 0),
                observations=c.get("observations", 0),
                retries=c.get("retries", 0),
            ),
            all_counters=[KindCount(kind=k, count=n) for k, n in sorted(c.items())],
            problems_by_kind=[KindCount(kind=k, count=n) for k, n in sorted(job.problems_by_kind.items())],
            problem_samples=[
                ProblemSample(model_id=s.get("model_id") or s.get("model"), kind=s.get("kind"), message=s.get("message"))
                for s in job.problem_samples
            ],
            pending=job.pending,
            created_at=_at(job.created_at) or datetime.now(UTC),
            finished_at=_at(job.finished_at),
            duration_s=round(job.duration_s, 3),
        )
