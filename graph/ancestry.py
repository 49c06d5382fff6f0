"""The ancestry index: HAS_ANCESTOR pairs over open DERIVED_FROM edges (see graph.statements.lineage).

The writer keeps it up to date incrementally when edges open; when an edge closes, its
relation changes, or two nodes merge, the affected model is marked ``closure_dirty`` in the
same transaction, and :func:`refresh_dirty` rebuilds the pairs of every dirty model and of
its descendants from the edges themselves (breadth-first, cycle-safe, depth-bounded). A
rebuild that fails part-way leaves the marks in place, so running it again finishes it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

from neo4j import Driver, RoutingControl

from graph.db import bulk_query, read_query, write_query, write_work
from graph.statements import lineage as q

__all__ = ["ancestors_bfs", "ancestry_key", "mark_all_dirty", "refresh_dirty"]


def ancestry_key(ancestor: str, depth: int, descendant: str) -> str:
    """The ordering key stored on a HAS_ANCESTOR relationship."""
    return f"{ancestor}{q.KEY_SEP}{depth:03d}{q.KEY_SEP}{descendant}"


def ancestors_bfs(
    start: str, parents_of: Mapping[str, Sequence[tuple[str, str]]], max_depth: int = q.MAX_ANCESTRY_DEPTH
) -> dict[str, tuple[int, str]]:
    """Every ancestor of ``start`` with (shortest depth, relation of start's first edge on it)."""
    found: dict[str, tuple[int, str]] = {}
    queue: deque[tuple[str, int, str]] = deque()
    for parent, relation in sorted(parents_of.get(start, ())):
        queue.append((parent, 1, relation))
    while queue:
        node, depth, relation = queue.popleft()
        if node == start or node in found or depth > max_depth:
            continue
        found[node] = (depth, relation)
        for parent, _ in sorted(parents_of.get(node, ())):
            if parent not in found:
                queue.append((parent, depth + 1, relation))
    return found


def refresh_dirty(driver: Driver, *, database: str | None = None, batch_size: int = 5000) -> int:
    """Rebuild the index for every model marked dirty (and its descendants); returns models rebuilt."""
    rebuilt = 0
    while True:
        records, _, _ = driver.execute_query(
            read_query(driver, q.ANCESTRY_DIRTY), {"limit": batch_size}, database_=database, routing_=RoutingControl.READ
        )
        dirty = [str(r["id"]) for r in records]
        if not dirty:
            return rebuilt
        records, _, _ = driver.execute_query(
            read_query(driver, q.ANCESTRY_DESCENDANTS_OF), {"ids": dirty}, database_=database, routing_=RoutingControl.READ
        )
        affected = sorted(set(dirty) | {str(r["id"]) for r in records})
        for start in range(0, len(affected), batch_size):
            rebuilt += _rebuild(driver, affected[start : start + batch_size], database)
        driver.execute_query(write_query(driver, q.ANCESTRY_CLEAR_DIRTY), {"ids": dirty}, database_=database)


def mark_all_dirty(driver: Driver, *, database: str | None = None) -> None:
    """Mark every model for rebuilding (repair after a bulk load without the index)."""
    with driver.session(database=database) as session:
        session.run(bulk_query(driver, q.ANCESTRY_MARK_ALL_DIRTY)).consume()


def _rebuild(driver: Driver, ids: Sequence[str], database: str | None) -> int:
    parents_of = _fetch_up_graph(driver, ids, database)
    rows = []
    for x in ids:
        for y, (depth, relation) in ancestors_bfs(x, parents_of).items():
            rows.append({"x": x, "y": y, "depth": depth, "relation": relation, "key": ancestry_key(y, depth, x)})

    def work(tx: object) -> None:
        tx.run(q.ANCESTRY_DELETE_FOR, ids=list(ids)).consume()  # type: ignore[attr-defined]
        for start in range(0, len(rows), 10000):
            tx.run(q.ANCESTRY_INSERT, rows=rows[start : start + 10000]).consume()  # type: ignore[attr-defined]

    with driver.session(database=database) as session:
        session.execute_write(write_work(driver, work))
    return len(ids)


def _fetch_up_graph(driver: Driver, ids: Iterable[str], database: str | None) -> dict[str, list[tuple[str, str]]]:
    parents_of: dict[str, list[tuple[str, str]]] = {}
    frontier = set(ids)
    seen: set[str] = set()
    for _ in range(q.MAX_ANCESTRY_DEPTH + 1):
        frontier -= seen
        if not frontier:
            break
        seen |= frontier
        records, _, _ = driver.execute_query(
            read_query(driver, q.DERIVED_OPEN_PARENTS), {"ids": sorted(frontier)}, database_=database, routing_=RoutingControl.READ
        )
        nxt: set[str] = set()
        for r in records:
            parents_of.setdefault(str(r["child"]), []).append((str(r["parent"]), str(r["relation"])))
            nxt.add(str(r["parent"]))
        frontier = nxt
    return parents_of
