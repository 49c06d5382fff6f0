"""What a sweep does: list the hub's models page by page and write what each listed model declares.

A sweep is a crawl job whose hub units are the pages of one listing
(``/api/models?sort=lastModified&direction=-1&expand=…``, newest first): unit ``sweep:<n>`` reads
page *n* at the URL its predecessor found in the ``Link`` header, turns every item into
observations (:func:`crawler.listing.read_page`), hands them to write units on the graph queue
(:func:`workers.crawljob.ingest`: unchanged models are only stamped as seen) and spawns page *n+1*.
The unit's spec holds the page URL, so the job store is the sweep's checkpoint: after a worker
dies the unit is redelivered, after a broker restart it is sent again from its spec, and writes are
idempotent — a sweep resumes where it was without re-writing what was written.

Modes (``JobOptions.sweep``): ``full`` lists everything; ``since`` stops after the first page
that reaches models older than ``JobOptions.since`` (or, when None, the stored high-water mark
minus ``sweep_overlap_s``). :func:`finish_sweep` runs in the job's final step: it records the new
high-water mark and, after a full sweep, marks what the hub no longer lists as stale — both only
when no page was lost, because a gap would move the mark past unread models or mark them gone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from neo4j import Driver

from crawler.errors import CrawlerError, RetriesExhaustedError, RetryableHubError
from crawler.listing import LISTING_EXPAND, read_page
from graph.errors import StaleRemovalRefused
from graph.hub_listing import listing_state, record_listing
from graph.reads.crawl_planning import KnownModel
from graph.staleness import case_twins, mark_unlisted
from workers import pipeline
from workers.crawljob import UnitRun, ingest
from workers.errors import HubUnavailableError
from workers.contract import JobOptions
from workers.jobs import Counter, JobStore
from workers.settings import WorkerSettings

__all__ = ["GAP_KINDS", "finish_sweep", "listing_params", "run_sweep_page"]

log = structlog.get_logger(__name__)

GAP_KINDS = frozenset({"page_unreadable", "page_failed", "unit_failed", "batch_lost_redone"})
"""Problem kinds that mean part of the listing may not have been read or written."""

_NEWEST = "newest_listed"


def listing_params(page_size: int) -> list[tuple[str, str]]:
    """The query of a sweep's first page: newest first, as large as the hub allows, listing fields only."""
    return [("sort", "lastModified"), ("direction", "-1"), ("limit", str(page_size))] + [
        ("expand", key) for key in LISTING_EXPAND
    ]


def _listed_only(known: KnownModel) -> bool:
    """A listing names all the parents of a model the graph knows only from listings (then stale edges close)."""
    return known.listed_only


def _stop_before(run: UnitRun, stop_before: str | None) -> datetime | None:
    if stop_before is not None:
        return datetime.fromisoformat(stop_before)
    if run.options.sweep != "since":
        return None
    state = listing_state(run.res.driver(), run.options.endpoint, database=run.res.neo4j.database)
    if state.high_water is None:
        return None  # never swept: an incremental sweep reads everything once
    return state.high_water - timedelta(seconds=run.res.settings.sweep_overlap_s)


def run_sweep_page(run: UnitRun, page: int, url: str, stop_before: str | None) -> None:
    """Read one page of the listing, hand its models to write units, and spawn the next page (unless done)."""
    stop = _stop_before(run, stop_before)
    with run.res.source(run.options.endpoint) as source:
        client = source.client
        public_url = source.settings.public_url
        page_url = url or client.models_listing_url(listing_params(run.options.page_size))
        try:
            fetched = client.models_page(page_url)
        except (RetryableHubError, RetriesExhaustedError) as exc:
            if not run.final_attempt:
                raise HubUnavailableError(f"listing page {page} kept failing: {exc}") from exc
            run.problems.append({"model_id": f"page {page}", "kind": "page_failed", "message": f"{page_url}: {exc}"[:500]})
            return
        except CrawlerError as exc:
            run.problems.append({"model_id": f"page {page}", "kind": "page_failed", "message": f"{page_url}: {exc}"[:500]})
            return
        finally:
            run.store.increment(run.job_id, {Counter.HUB_REQUESTS: client.requests})
    listed = read_page(fetched, datetime.now(UTC), public_url)
    for where, why in listed.unreadable:
        kind = "page_unreadable" if where == fetched.url else "item_unreadable"
        run.problems.append({"model_id": f"page {page}", "kind": kind, "message": f"{where}: {why}"[:500]})
    if page == 0 and listed.newest is not None:
        run.store.set_note(run.job_id, _NEWEST, listed.newest.isoformat())
    ingest(run, listed.observations, keep=lambda _: True, closes=_listed_only)
    run.counts[Counter.PAGES.value] += 1
    reached_mark = stop is not None and listed.oldest is not None and listed.oldest < stop
    if fetched.next_url and not reached_mark:
        run.spawned.append(pipeline.sweep_unit(page + 1, fetched.next_url, None if stop is None else stop.isoformat()))


def _verify_gone(store: JobStore, options: JobOptions, settings: WorkerSettings, driver: Driver,
                 gone: list[str], database: str | None) -> None:
    """Ask the hub about models a full listing no longer names: renamed (an alias follows) or deleted.

    Those another model now spells in another letter case come first (the hub's ids ignore case, so a
    repo whose id changed case is listed under its new spelling); at most ``sweep_verify_gone`` in all,
    as one crawl job of its own.
    """
    if not gone or settings.sweep_verify_gone <= 0:
        return
    twins = case_twins(driver, gone, database=database)
    seeds = list(dict.fromkeys([*twins, *gone]))[: settings.sweep_verify_gone]
    verify = JobOptions(seeds=tuple(seeds), endpoint=options.endpoint, up=False, down=0, deployers=False,
                        breadth=settings.default_breadth, history=False)
    job_id = pipeline.start_job(store, verify, settings)
    log.info("sweep.verifying_gone", crawl_id=job_id, models=len(seeds), case_twins=len(twins))


def finish_sweep(store: JobStore, job_id: str, driver: Driver, settings: WorkerSettings, *,
                 database: str | None) -> list[dict[str, str]]:
    """The sweep's last graph step: mark what a full listing no longer names, then move the high-water mark.

    Returns the problems to add to the job's report (a refused staleness mark, a mark kept back).
    """
    snapshot = store.snapshot(job_id)
    if snapshot is None:
        return []
    options = snapshot.options
    gaps = {kind: n for kind, n in snapshot.problems_by_kind.items() if kind in GAP_KINDS}
    problems: list[dict[str, str]] = []
    if gaps:
        problems.append({
            "model_id": "sweep", "kind": "sweep_incomplete",
            "message": f"parts of the listing were not read or written ({gaps}): no model is marked stale and the "
                       "high-water mark stays where it was, so the next sweep reads them again",
        })
        return problems
    full = options.sweep == "full"
    if full:
        started = datetime.fromtimestamp(snapshot.created_at, UTC)
        try:
            report = mark_unlisted(
                driver, run_id=job_id, started=started, max_share=settings.sweep_stale_max_share, database=database
            )
            store.increment(job_id, {Counter.MARKED_STALE: report.marked})
            _verify_gone(store, options, settings, driver, list(report.candidates), database)
        except StaleRemovalRefused as refused:
            # a listing that lost this much is suspect: the mark stays too, so the next sweep reads it again
            problems.append({"model_id": "sweep", "kind": "staleness_refused",
                             "message": f"{refused}; nothing marked, the high-water mark kept"})
            return problems
    newest = store.note(job_id, _NEWEST)
    record_listing(
        driver, options.endpoint, run_id=job_id, high_water=None if newest is None else datetime.fromisoformat(newest),
        full=full, database=database,
    )
    log.info("sweep.finished", crawl_id=job_id, mode=options.sweep, newest=newest)
    return problems
