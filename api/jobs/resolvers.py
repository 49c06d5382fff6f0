"""Crawl jobs: ``crawlJob(id)`` (open) and ``requestCrawl`` / ``requestSweep`` / ``cancelCrawl`` (behind an API key)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.auth import RequireApiKey
from api.jobs.types import CrawlJob
from api.pagination import bounded

__all__ = ["JobsMutation", "JobsQuery"]

Info = strawberry.Info[Any, None]
MAX_SEEDS = 1000


@strawberry.type
class JobsQuery:
    @strawberry.field(description="A crawl job with its live counters; null when unknown (or expired).")
    async def crawl_job(self, info: Info, id: strawberry.ID) -> CrawlJob | None:
        info.context.not_cacheable()  # live counters in Redis, not in the graph
        found = await info.context.crawls.job(str(id))
        return None if found is None else CrawlJob.from_internal(found)


@strawberry.type
class JobsMutation:
    @strawberry.mutation(permission_classes=[RequireApiKey], description="Enqueue a crawl from seed model ids.")
    async def request_crawl(
        self, info: Info, seeds: list[str], up: bool = True, down: int = 0, deployers: bool = False
    ) -> CrawlJob:
        bounded("seeds (count)", len(seeds), 1, MAX_SEEDS)
        bounded("down", down, 0, 10)
        job = await info.context.crawls.request(seeds, up=up, down=down, deployers=deployers)
        return CrawlJob.from_internal(job)

    @strawberry.mutation(
        permission_classes=[RequireApiKey],
        description=(
            "Enqueue a sweep of the hub's model listing: every model (full: true; models no longer listed are then "
            "marked stale, under a cap) or those modified since a time (default: since the last sweep). Follow it "
            "with crawlJob(id)."
        ),
    )
    async def request_sweep(self, info: Info, full: bool = False, since: datetime | None = None) -> CrawlJob:
        job = await info.context.crawls.request_sweep(full=full, since=since)
        return CrawlJob.from_internal(job)

    @strawberry.mutation(permission_classes=[RequireApiKey], description="Cancel a running crawl; returns the job (null when unknown).")
    async def cancel_crawl(self, info: Info, id: strawberry.ID) -> CrawlJob | None:
        job = await info.context.crawls.cancel(str(id))
        return None if job is None else CrawlJob.from_internal(job)
