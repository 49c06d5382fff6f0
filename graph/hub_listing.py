"""How far a hub's model listing has been read, so that the next sweep reads only what changed since.

A sweep lists models by ``lastModified``, newest first. When it finishes without a page lost,
:func:`record_listing` keeps the newest ``lastModified`` it saw as the endpoint's *high-water
mark*; an incremental sweep stops at the first model older than that mark (minus a small overlap,
see ``workers``). The mark lives in the graph, beside what it describes, and only moves forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from neo4j import Driver, RoutingControl

from graph.db import read_query, write_query
from graph.errors import translated
from graph.reads.convert import opt_time
from graph.statements import hub_listing as q

__all__ = ["ListingState", "listing_state", "record_listing"]


@dataclass(frozen=True, slots=True)
class ListingState:
    """What the graph knows of an endpoint's listing (``high_water`` None: never read in full)."""

    endpoint: str
    high_water: datetime | None
    last_run: str | None
    last_full_run: str | None
    last_full_at: datetime | None


def listing_state(driver: Driver, endpoint: str, *, database: str | None = None) -> ListingState:
    """The endpoint's listing state (all None when it was never swept)."""
    with translated():
        records, _, _ = driver.execute_query(
            read_query(driver, q.LISTING_READ), {"endpoint": endpoint}, database_=database, routing_=RoutingControl.READ
        )
    if not records:
        return ListingState(endpoint, None, None, None, None)
    r = records[0]
    return ListingState(endpoint, opt_time(r["high_water"]), r["last_run"], r["last_full_run"], opt_time(r["last_full_at"]))


def record_listing(
    driver: Driver,
    endpoint: str,
    *,
    run_id: str,
    high_water: datetime | None,
    full: bool,
    now: datetime | None = None,
    database: str | None = None,
) -> None:
    """Record a finished sweep of ``endpoint``: its newest ``lastModified`` (the mark moves only forward)."""
    with translated():
        driver.execute_query(
            write_query(driver, q.LISTING_RECORD),
            {"endpoint": endpoint, "run": run_id, "high_water": high_water, "full": full, "now": now or datetime.now(UTC)},
            database_=database,
        )
