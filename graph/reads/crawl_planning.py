"""Reads for crawl planning: what the graph already knows of some models, and what to refresh.

* :func:`known_models` — sha, status and times of models by id, so a crawl can skip a model
  whose sha has not changed since it was last written (and an upward crawl an ancestor
  crawled recently);
* :func:`refresh_candidates` — crawled models not seen for a while, cheapest to re-crawl first.

Both are plans too (``plan_*``), like every read of :mod:`graph.reads`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from neo4j import Driver

from graph.errors import InvalidArgument
from graph.history import to_utc
from graph.reads import plan as c
from graph.reads.convert import opt_time
from graph.statements.crawl_planning import KNOWN_MODELS, POPULAR_LISTED_ONLY, REFRESH_CANDIDATES

__all__ = [
    "KnownModel",
    "RefreshCandidate",
    "known_models",
    "plan_known_models",
    "plan_refresh_candidates",
    "refresh_candidates",
]

_ID_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class KnownModel:
    """What the graph holds of a model a crawl is about to read."""

    id: str
    status: str
    sha: str | None
    last_seen: datetime | None
    last_modified: datetime | None
    listed_only: bool = False  # known from hub listings only: its own page, files and configs never read

    @property
    def crawled(self) -> bool:
        """True when the model itself was read once (not only named as someone's parent)."""
        return self.status not in ("unknown", "")


@dataclass(frozen=True, slots=True)
class RefreshCandidate:
    """A known model due for a re-crawl; ``cost`` estimates the hub requests it takes."""

    id: str
    cost: int
    last_seen: datetime | None
    status: str


def known_models(driver: Driver, ids: Iterable[str], *, database: str | None = None) -> dict[str, KnownModel]:
    """The models of ``ids`` the graph holds, by id (ids it does not hold are left out)."""
    return c.run(driver, plan_known_models(ids), database)


def plan_known_models(ids: Iterable[str]) -> c.Plan[dict[str, KnownModel]]:
    """The plan of :func:`known_models`."""
    wanted = sorted(set(ids))
    out: dict[str, KnownModel] = {}
    for start in range(0, len(wanted), _ID_CHUNK):
        rows = yield c.Query(KNOWN_MODELS, {"ids": wanted[start : start + _ID_CHUNK]})
        for r in rows:
            out[str(r["id"])] = KnownModel(
                id=str(r["id"]),
                status=str(r["status"] or "unknown"),
                sha=r["sha"],
                last_seen=opt_time(r["last_seen"]),
                last_modified=opt_time(r["last_modified"]),
                listed_only=bool(r["listed_only"]),
            )
    return out


def popular_listed_only(driver: Driver, *, limit: int, database: str | None = None) -> tuple[str, ...]:
    """The ``limit`` most downloaded available models known only from listings (to crawl in depth)."""
    return c.run(driver, plan_popular_listed_only(limit=limit), database)


def plan_popular_listed_only(*, limit: int) -> c.Plan[tuple[str, ...]]:
    """The plan of :func:`popular_listed_only`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= 100_000:
        raise InvalidArgument(f"limit must be an integer from 0 to 100000, got {limit!r}")
    if limit == 0:
        return ()
    rows = yield c.Query(POPULAR_LISTED_ONLY, {"limit": limit})
    return tuple(str(r["id"]) for r in rows)


def refresh_candidates(
    driver: Driver, *, not_seen_since: datetime, limit: int, database: str | None = None
) -> tuple[RefreshCandidate, ...]:
    """Crawled models last seen before ``not_seen_since``, cheapest first (then oldest first)."""
    return c.run(driver, plan_refresh_candidates(not_seen_since=not_seen_since, limit=limit), database)


def plan_refresh_candidates(*, not_seen_since: datetime, limit: int) -> c.Plan[tuple[RefreshCandidate, ...]]:
    """The plan of :func:`refresh_candidates`."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
        raise InvalidArgument(f"limit must be an integer from 1 to 100000, got {limit!r}")
    rows = yield c.Query(
        REFRESH_CANDIDATES, {"before": to_utc(not_seen_since), "scan": limit * 4, "limit": limit}
    )
    return tuple(
        RefreshCandidate(id=str(r["id"]), cost=int(r["cost"]), last_seen=opt_time(r["last_seen"]), status=str(r["status"]))
        for r in rows
    )
