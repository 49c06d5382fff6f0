"""Staleness: what a later full crawl of a family no longer sees is marked, never deleted.

After a crawl run that walked a whole family (root and descendants to ``max_depth``), every
member whose ``last_run`` is not that run is a candidate. :func:`mark_stale` marks the
candidates (``stale``, ``stale_since``, ``stale_run``) unless they are more than
``max_share`` of the family, in which case it refuses and changes nothing (a crawl that
saw too little is more likely broken than the hub emptied). The writer clears the mark
when a model is seen again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from neo4j import Driver, RoutingControl

from graph.db import read_query, write_query
from graph.errors import InvalidArgument, ModelNotFound, StaleRemovalRefused, translated
from graph.statements import staleness as q

__all__ = ["DEFAULT_MAX_SHARE", "HUB", "StalenessReport", "case_twins", "mark_stale", "mark_unlisted"]

HUB = "the hub listing"

DEFAULT_MAX_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class StalenessReport:
    root: str
    run_id: str
    family_size: int
    candidates: tuple[str, ...]
    marked: int
    dry_run: bool

    @property
    def share(self) -> float:
        return len(self.candidates) / self.family_size if self.family_size else 0.0


def mark_stale(
    driver: Driver,
    root_id: str,
    *,
    run_id: str,
    max_share: float = DEFAULT_MAX_SHARE,
    max_depth: int = 64,
    now: datetime | None = None,
    dry_run: bool = False,
    database: str | None = None,
) -> StalenessReport:
    """Mark the members of ``root_id``'s family that run ``run_id`` did not see.

    Raises :class:`StaleRemovalRefused` (nothing changed) when the candidates exceed
    ``max_share`` of the family.
    """
    if not 0.0 <= max_share <= 1.0:
        raise InvalidArgument("max_share must be between 0 and 1")
    if isinstance(max_depth, bool) or not 1 <= max_depth <= 64:
        raise InvalidArgument("max_depth must be an integer from 1 to 64")
    with translated():
        records, _, _ = driver.execute_query(
            read_query(driver, q.STALE_CANDIDATES),
            {"id": root_id, "run": run_id, "max_depth": max_depth},
            database_=database,
            routing_=RoutingControl.READ,
        )
        if not records:
            raise ModelNotFound(root_id)
        root = str(records[0]["root"])
        total = int(records[0]["total"])
        candidates = tuple(sorted(str(x) for x in records[0]["unseen"]))
        if total and len(candidates) / total > max_share:
            raise StaleRemovalRefused(root, len(candidates), total, max_share)
        marked = 0
        if candidates and not dry_run:
            done, _, _ = driver.execute_query(
                write_query(driver, q.STALE_MARK),
                {"ids": list(candidates), "run": run_id, "now": now or datetime.now(UTC)},
                database_=database,
            )
            marked = int(done[0]["marked"])
    return StalenessReport(root, run_id, total, candidates, marked, dry_run)


def mark_unlisted(
    driver: Driver,
    *,
    run_id: str,
    started: datetime,
    max_share: float = DEFAULT_MAX_SHARE,
    now: datetime | None = None,
    dry_run: bool = False,
    database: str | None = None,
) -> StalenessReport:
    """After a full listing of the hub (run ``run_id``, begun at ``started``): mark what it no longer listed.

    Candidates are the models known as listed or crawled, available or gated, not seen since
    ``started``. Raises :class:`StaleRemovalRefused` (nothing changed) when they exceed ``max_share``
    of those models — a truncated listing must not mark half the hub gone.
    """
    if not 0.0 <= max_share <= 1.0:
        raise InvalidArgument("max_share must be between 0 and 1")
    with translated():
        counted, _, _ = driver.execute_query(
            read_query(driver, q.UNLISTED_COUNT), {"started": started},
            database_=database, routing_=RoutingControl.READ,
        )
        total, unseen = int(counted[0]["total"]), int(counted[0]["unseen"])
        if total and unseen / total > max_share:
            raise StaleRemovalRefused(HUB, unseen, total, max_share)
        candidates: tuple[str, ...] = ()
        marked = 0
        if unseen:
            rows, _, _ = driver.execute_query(
                read_query(driver, q.UNLISTED_IDS), {"started": started},
                database_=database, routing_=RoutingControl.READ,
            )
            candidates = tuple(str(r["id"]) for r in rows)
        if candidates and not dry_run:
            for start in range(0, len(candidates), _MARK_CHUNK):
                done, _, _ = driver.execute_query(
                    write_query(driver, q.STALE_MARK),
                    {"ids": list(candidates[start : start + _MARK_CHUNK]), "run": run_id, "now": now or datetime.now(UTC)},
                    database_=database,
                )
                marked += int(done[0]["marked"])
    return StalenessReport(HUB, run_id, total, candidates, marked, dry_run)


_MARK_CHUNK = 10_000


def case_twins(driver: Driver, ids: list[str], *, database: str | None = None) -> list[str]:
    """Those of ``ids`` that another, current model spells in another letter case (likely renamed)."""
    if not ids:
        return []
    with translated():
        rows, _, _ = driver.execute_query(
            read_query(driver, q.CASE_TWINS), {"ids": ids}, database_=database, routing_=RoutingControl.READ
        )
    return [str(r["id"]) for r in rows]
