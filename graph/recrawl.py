"""Writes that support re-crawls: unchanged models marked seen, the ancestry index rebuilt for a crawl's models.

* :func:`mark_seen` — a crawl read a model again and its sha is the one the graph holds: stamp
  it as seen by this run (``last_seen``, ``last_run``; the stale mark goes) without rewriting
  anything else, so skipping unchanged models does not make them look stale.
* :func:`accept_first_observation` — before writing models from their own observations, let a
  node that so far was only named as someone's parent accept them whatever their time: a
  concurrent writer may have written the mention first although it was observed later, and
  the writer keeps a model's properties from its newest observation (``last_seen``).
* :func:`rebuild_ancestry` — the crawl pipeline writes with ``GraphWriter(maintain_ancestry=False)``
  (concurrent writers cannot race on the HAS_ANCESTOR index, and writes are cheaper) and rebuilds
  the index once for every model it wrote when the job ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from neo4j import Driver

from graph import ancestry
from graph.db import write_query
from graph.errors import translated
from graph.history import to_utc
from graph.statements import lineage as lq
from graph.statements import crawl_planning as q

__all__ = ["accept_first_observation", "mark_seen", "rebuild_ancestry"]


def mark_seen(
    driver: Driver,
    rows: Iterable[tuple[str, str, datetime]],
    *,
    run_id: str,
    database: str | None = None,
    batch_size: int = 5000,
) -> int:
    """Stamp (model id, sha, observed at) as seen by ``run_id`` where the graph holds that sha; returns models stamped."""
    payload = [{"id": model_id, "sha": sha, "t": to_utc(t)} for model_id, sha, t in rows]
    seen = 0
    with translated():
        for start in range(0, len(payload), batch_size):
            records, _, _ = driver.execute_query(
                write_query(driver, q.MODELS_MARK_SEEN), {"rows": payload[start : start + batch_size], "run": run_id}, database_=database
            )
            seen += int(records[0]["seen"]) if records else 0
    return seen


def rebuild_ancestry(
    driver: Driver, model_ids: Sequence[str], *, database: str | None = None, batch_size: int = 5000
) -> int:
    """Rebuild the ancestry index of these models and of their descendants; returns models rebuilt."""
    ids = sorted(set(model_ids))
    with translated():
        for start in range(0, len(ids), batch_size):
            driver.execute_query(write_query(driver, lq.ANCESTRY_MARK_DIRTY), {"ids": ids[start : start + batch_size]}, database_=database)
        return ancestry.refresh_dirty(driver, database=database, batch_size=batch_size)


def accept_first_observation(
    driver: Driver, model_ids: Sequence[str], *, database: str | None = None, batch_size: int = 5000
) -> int:
    """Let never-observed Model nodes (mentions) take the next observation of themselves; returns nodes reset."""
    ids = sorted(set(model_ids))
    reset = 0
    with translated():
        for start in range(0, len(ids), batch_size):
            records, _, _ = driver.execute_query(
                write_query(driver, q.MODELS_ACCEPT_FIRST), {"ids": ids[start : start + batch_size]}, database_=database
            )
            reset += int(records[0]["reset"]) if records else 0
    return reset
