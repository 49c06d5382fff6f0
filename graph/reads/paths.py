"""Path arithmetic over a fetched set of lineage edges (pure, cycle-safe).

Every function bounds its work: no node repeats on a path, paths are at most ``max_depth``
edges long, and at most ``max_paths`` paths are produced.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["depths", "paths_to_roots", "paths_up_to", "parents_map"]


def parents_map(edges: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for child, parent in edges:
        out.setdefault(child, [])
        if parent not in out[child]:
            out[child].append(parent)
    for parents in out.values():
        parents.sort()
    return out


def depths(start: str, parents: Mapping[str, Sequence[str]], max_depth: int) -> dict[str, int]:
    """Shortest distance from ``start`` to each ancestor within ``max_depth``."""
    found: dict[str, int] = {}
    queue = deque([(start, 0)])
    seen = {start}
    while queue:
        node, d = queue.popleft()
        if d == max_depth:
            continue
        for p in parents.get(node, ()):
            if p not in seen:
                seen.add(p)
                found[p] = d + 1
                queue.append((p, d + 1))
    return found


def paths_to_roots(
    start: str, parents: Mapping[str, Sequence[str]], max_depth: int, max_paths: int
) -> tuple[list[tuple[str, ...]], bool]:
    """Every maximal simple path up from ``start``; truncated when a bound cut one short."""
    out: list[tuple[str, ...]] = []
    truncated = False
    stack: list[tuple[str, ...]] = [(start,)]
    while stack:
        path = stack.pop()
        node = path[-1]
        nexts = [p for p in parents.get(node, ()) if p not in path]
        if not nexts or len(path) - 1 >= max_depth:
            if nexts:
                truncated = True
            if len(path) > 1:
                if len(out) >= max_paths:
                    return out, True
                out.append(path)
            continue
        for p in reversed(nexts):
            stack.append((*path, p))
    return out, truncated


def paths_up_to(
    start: str, target: str, parents: Mapping[str, Sequence[str]], max_depth: int, max_paths: int
) -> list[tuple[str, ...]]:
    """Every simple directed path from ``start`` up to ``target`` of at most ``max_depth`` edges."""
    out: list[tuple[str, ...]] = []
    stack: list[tuple[str, ...]] = [(start,)]
    while stack and len(out) < max_paths:
        path = stack.pop()
        node = path[-1]
        if node == target and len(path) > 1:
            out.append(path)
            continue
        if len(path) - 1 >= max_depth:
            continue
        for p in reversed(parents.get(node, ())):
            if p not in path or (p == target and p == start):
                stack.append((*path, p))
    return sorted(out, key=lambda p: (len(p), p))
