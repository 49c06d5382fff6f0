"""Cycle detection over the child → parent edges an upward crawl collected.

The crawl itself never loops (it fetches each id once); this reports every cycle the
hub's declarations form (A → B → A, or longer), once per cycle, as a ``CYCLE`` problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Set

from crawler.observations import ProblemKind, ProblemSeen, Source

__all__ = ["cycle_problems", "find_cycles"]


def find_cycles(edges: Mapping[str, Set[str]]) -> list[list[str]]:
    """Each elementary cycle found by a depth-first search, as a path [a, b, …, a]; deterministic order."""
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = {}
    cycles: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    for start in sorted(edges):
        if colour.get(start, white) != white:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        path = [start]
        colour[start] = grey
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                colour[node] = black
                continue
            state = colour.get(child, white)
            if state == grey:
                cycle = path[path.index(child) :] + [child]
                key = frozenset(cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    cycles.append(cycle)
            elif state == white:
                colour[child] = grey
                path.append(child)
                stack.append((child, iter(sorted(edges.get(child, ())))))
    return cycles


def cycle_problems(edges: Mapping[str, Set[str]], source_for: Callable[[str], Source]) -> Iterator[ProblemSeen]:
    """One CYCLE problem per cycle, attached to the first model of the cycle."""
    for cycle in find_cycles(edges):
        message = "declared base models form a cycle: " + " → ".join(cycle)
        yield ProblemSeen(cycle[0], ProblemKind.CYCLE, message, source_for(cycle[0]))
