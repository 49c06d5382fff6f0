"""Cycles in DERIVED_FROM are stored as observed and every traversal terminates."""

from __future__ import annotations

import pytest
from neo4j import Driver

from graph import reads
from graph.ancestry import ancestors_bfs
from graph.reads.paths import paths_to_roots, paths_up_to
from graph.writer import GraphWriter

from tests.support.observations import count, derived, seen

pytestmark = pytest.mark.timeout(120)


def _cycle(prefix: str, length: int) -> list[str]:
    return [f"{prefix}/m{i}" for i in range(length)]


def test_pure_traversals_terminate_on_cycles() -> None:
    ring = {"a": ["b"], "b": ["c"], "c": ["a"]}
    paths, truncated = paths_to_roots("a", ring, max_depth=50, max_paths=100)
    assert paths == [("a", "b", "c")] and not truncated
    assert paths_up_to("a", "c", ring, 50, 100) == [("a", "b", "c")]
    assert ancestors_bfs("a", {k: [(v[0], "finetune")] for k, v in ring.items()}) == {
        "b": (1, "finetune"),
        "c": (2, "finetune"),
    }


@pytest.mark.integration
@pytest.mark.parametrize("length", [1, 2, 5])
def test_a_cycle_is_stored_as_observed_and_reads_terminate(clean_graph: Driver, length: int) -> None:
    ids = _cycle(f"c{length}", length)
    obs: list[object] = [seen(i) for i in ids]
    obs += [derived(ids[i], ids[(i + 1) % length]) for i in range(length)]
    obs += [seen("tail/child"), derived("tail/child", ids[0])]
    GraphWriter(clean_graph, batch_size=2).write(obs, run_id="r1")  # type: ignore[arg-type]
    GraphWriter(clean_graph, batch_size=2).write(obs, run_id="r1")  # type: ignore[arg-type]
    assert count(clean_graph, "MATCH ()-[d:DERIVED_FROM]->() RETURN count(d)") == length + 1
    # the index holds each (descendant, ancestor) pair once, never a self-pair
    pairs = count(clean_graph, "MATCH (a)-[k:HAS_ANCESTOR]->(b) RETURN count(k)")
    assert pairs == length * (length - 1) + length
    assert count(clean_graph, "MATCH (a)-[k:HAS_ANCESTOR]->(a) RETURN count(k)") == 0

    up = reads.ancestors(clean_graph, "tail/child")
    assert {a.model.id for a in up.ancestors} == set(ids)
    for path in up.paths:
        assert len(path) == len(set(path))
    assert up.paths == (("tail/child", *ids),)
    assert up.roots == ()  # a cycle has no root

    down = reads.descendants(clean_graph, ids[0], limit=100)
    expected = set(ids[1:]) | {"tail/child"}
    assert {d.model.id for d in down.items} == expected and down.total == len(expected)
    walked = reads.descendants(clean_graph, ids[0], as_of=up.edges[0].valid_from, limit=100)
    assert {d.model.id for d in walked.items} == expected
    assert reads.family(clean_graph, ids[-1]).total == len(set(ids) - {ids[-1]}) + 1
    between = reads.paths_between(clean_graph, "tail/child", ids[-1])
    assert all(len(p) == len(set(p)) for p in between.paths)
    assert reads.deployments(clean_graph, ids[0]) == ()


@pytest.mark.integration
def test_breaking_a_cycle_rebuilds_the_index(clean_graph: Driver) -> None:
    ids = _cycle("b", 5)
    writer = GraphWriter(clean_graph)
    writer.write([*(seen(i) for i in ids), *(derived(ids[i], ids[(i + 1) % 5]) for i in range(5))], run_id="r1")
    # m4 is seen again without its parent m0: the edge closes, the ring becomes a chain
    writer.write([seen(ids[4], 1)], run_id="r2")
    assert reads.ancestors(clean_graph, ids[0]).roots == (ids[4],)
    assert reads.descendants(clean_graph, ids[4]).total == 4
    assert reads.descendants(clean_graph, ids[0]).total == 0
    assert count(clean_graph, "MATCH (m:Model) WHERE m.closure_dirty IS NOT NULL RETURN count(m)") == 0
