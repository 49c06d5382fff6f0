"""Scheduled refresh: which known models to crawl again, cheapest first, as one crawl job.

Two sources of candidates, in this order:

1. **Changed on the hub** — one listing of the hub's most recently modified models
   (``sort=lastModified``, ``expand=[sha, lastModified]``, up to ``refresh_listing_pages``
   pages of 1000): a model the graph holds whose listed sha differs from the stored one, or
   whose ``lastModified`` is newer, certainly changed. Found at about one request per
   thousand models listed, and each costs one more request to re-read: the cheapest.
2. **Not seen for a while** — models last seen more than ``refresh_after_s`` ago, from the
   graph (``graph.reads.crawl_planning.refresh_candidates``), those that declare a base model (one
   request) before roots and undeclared ones (a request plus small-file probes), oldest first
   (a model known only from listings is then read in depth);
3. **Popular but shallow** — the ``deepen_popular`` most downloaded models known only from
   listings, crawled in depth for what a listing cannot give (files, card text, configs).

The job re-reads each candidate alone (no upward or downward crawl); one whose sha did not
change is only stamped as seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog

from crawler.errors import CrawlerError
from crawler.settings import CrawlerSettings
from graph.reads.crawl_planning import known_models, popular_listed_only, refresh_candidates
from workers import pipeline
from workers.context import Resources
from workers.contract import JobOptions

__all__ = ["RefreshPlan", "plan_refresh", "start_refresh"]

log = structlog.get_logger(__name__)

_PAGE = 1000


@dataclass(frozen=True)
class RefreshPlan:
    """Models to re-crawl, cheapest first, and where each list came from."""

    endpoint: str
    changed: tuple[str, ...]
    not_seen: tuple[str, ...]
    listing_requests: int
    shallow: tuple[str, ...] = ()

    @property
    def seeds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.changed, *self.not_seen, *self.shallow)))


def _changed_on_hub(res: Resources, endpoint: str, pages: int) -> tuple[list[str], int]:
    if pages <= 0:
        return [], 0
    listed: dict[str, tuple[str | None, datetime | None]] = {}
    with res.source(endpoint) as source:
        try:
            for info in source.client.iter_models(
                what="list_recently_modified", sort="lastModified", expand=["sha", "lastModified"], limit=pages * _PAGE
            ):
                modified = info.last_modified if isinstance(info.last_modified, datetime) else None
                listed[str(info.id)] = (info.sha if isinstance(info.sha, str) else None, modified)
        except CrawlerError as exc:  # a refresh that cannot list still refreshes what is old
            log.warning("refresh.listing_failed", endpoint=endpoint, error=str(exc))
        requests = source.client.requests
    known = known_models(res.driver(), listed, database=res.neo4j.database)
    changed = []
    for model_id, (sha, modified) in listed.items():
        held = known.get(model_id)
        if held is None or not held.crawled:
            continue
        newer = modified is not None and held.last_modified is not None and modified > held.last_modified
        if (sha is not None and sha != held.sha) or newer:
            changed.append(model_id)
    return changed, requests


def plan_refresh(res: Resources, *, now: datetime | None = None) -> RefreshPlan:
    """What the next refresh should re-crawl (at most ``refresh_batch`` models)."""
    settings = res.settings
    endpoint = (settings.refresh_endpoint or CrawlerSettings().endpoint).rstrip("/")
    now = now or datetime.now(UTC)
    changed, requests = _changed_on_hub(res, endpoint, settings.refresh_listing_pages)
    changed = changed[: settings.refresh_batch]
    room = settings.refresh_batch - len(changed)
    old: list[str] = []
    if room > 0:
        cutoff = now - timedelta(seconds=settings.refresh_after_s)
        candidates = refresh_candidates(res.driver(), not_seen_since=cutoff, limit=room, database=res.neo4j.database)
        old = [c.id for c in candidates if c.id not in set(changed)]
    taken = {*changed, *old}
    shallow = [m for m in popular_listed_only(res.driver(), limit=settings.deepen_popular, database=res.neo4j.database)
               if m not in taken]
    return RefreshPlan(endpoint, tuple(changed), tuple(old), requests, tuple(shallow))


def start_refresh(res: Resources, *, now: datetime | None = None) -> str | None:
    """Plan a refresh and start it as a crawl job; None when nothing is due."""
    plan = plan_refresh(res, now=now)
    if not plan.seeds:
        return None
    # a refresh re-reads models already crawled (their history was read then): no commit histories
    options = JobOptions(seeds=plan.seeds, endpoint=plan.endpoint, up=False, down=0, deployers=False,
                         breadth=res.settings.default_breadth, history=False)
    job_id = pipeline.start_job(res.jobs, options, res.settings)
    res.jobs.increment(job_id, {"hub_requests": plan.listing_requests})
    log.info("refresh.started", crawl_id=job_id, changed=len(plan.changed), not_seen=len(plan.not_seen),
             shallow=len(plan.shallow))
    return job_id
