"""Lineage reads against the real Neo4j: ancestors, descendants pages, paths, family, files, deployments."""

from __future__ import annotations

import pytest
from neo4j import Driver

from crawler.observations import DeploymentKind, DeploymentSeen, EvidenceKind, FileSeen, Relation
from graph import reads
from graph.errors import InvalidArgument, ModelNotFound
from graph.reads import PathKind
from graph.writer import GraphWriter

from tests.support.observations import at, derived, seen, src

pytestmark = pytest.mark.integration

#            root
#          /      \
#       ft1        ft2 ──────┐
#      /   \         \       │
#   q1(Q)  ad1(A)    ft3     │
#      \              |      │
#       └──── merge ──┘      other/root
#                \______________/  (merge has 3 parents: q1, ft3, other/root)


def _write(driver: Driver) -> None:
    obs: list[object] = [seen(m) for m in ("r/root", "a/ft1", "a/ft2", "a/ft3", "a/q1", "a/ad1", "a/merge")]
    obs += [
        derived("a/ft1", "r/root", 0, Relation.FINETUNE),
        derived("a/ft2", "r/root", 0, Relation.FINETUNE),
        derived("a/ft3", "a/ft2", 0, Relation.FINETUNE),
        derived("a/q1", "a/ft1", 0, Relation.QUANTIZED, EvidenceKind.GGUF_METADATA, 0.9),
        derived("a/ad1", "a/ft1", 0, Relation.ADAPTER, EvidenceKind.ADAPTER_CONFIG, 0.95),
        derived("a/merge", "a/q1", 0, Relation.MERGE, EvidenceKind.MERGEKIT_CONFIG, 0.9),
        derived("a/merge", "a/ft3", 0, Relation.MERGE, EvidenceKind.MERGEKIT_CONFIG, 0.9),
        derived("a/merge", "other/root", 0, Relation.MERGE, EvidenceKind.MERGEKIT_CONFIG, 0.9),
        DeploymentSeen("space:x/demo", DeploymentKind.SPACE, "a/merge", "x", "RUNNING", "https://x", src("x/demo")),
        DeploymentSeen("provider:p:r/root", DeploymentKind.INFERENCE_PROVIDER, "r/root", "p", "live", None,
                       src("r/root")),
        FileSeen("a/q1", "q1.Q4_K_M.gguf", 123, "AB" * 32, src("a/q1")),
    ]
    GraphWriter(driver, batch_size=4).write(obs, run_id="r1")  # type: ignore[arg-type]


def test_ancestors_give_every_path_depth_and_evidence(clean_graph: Driver) -> None:
    _write(clean_graph)
    up = reads.ancestors(clean_graph, "a/merge")
    assert set(up.paths) == {
        ("a/merge", "a/q1", "a/ft1", "r/root"),
        ("a/merge", "a/ft3", "a/ft2", "r/root"),
        ("a/merge", "other/root"),
    }
    assert {(a.model.id, a.depth) for a in up.ancestors} == {
        ("a/q1", 1), ("a/ft3", 1), ("other/root", 1), ("a/ft1", 2), ("a/ft2", 2), ("r/root", 3),
    }
    assert set(up.roots) == {"r/root", "other/root"}
    q1 = next(e for e in up.edges if e.child == "a/q1")
    assert (q1.relation, q1.confidence, [e.kind for e in q1.evidence]) == ("quantized", 0.9, ["gguf_metadata"])
    assert not up.truncated
    short = reads.ancestors(clean_graph, "a/merge", max_depth=1)
    assert short.truncated and {a.depth for a in short.ancestors} == {1}


def test_descendants_pages_cover_everything_once_with_totals(clean_graph: Driver) -> None:
    _write(clean_graph)
    seen_ids: list[str] = []
    cursor = None
    while True:
        page = reads.descendants(clean_graph, "r/root", limit=2, cursor=cursor)
        assert page.total == 6
        seen_ids += [d.model.id for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen_ids) == ["a/ad1", "a/ft1", "a/ft2", "a/ft3", "a/merge", "a/q1"]
    assert len(seen_ids) == len(set(seen_ids))
    first = reads.descendants(clean_graph, "r/root", limit=10)
    assert [(d.model.id, d.depth) for d in first.items][:2] == [("a/ft1", 1), ("a/ft2", 1)]
    assert [d.depth for d in first.items] == sorted(d.depth for d in first.items)
    merge = next(d for d in first.items if d.model.id == "a/merge")
    assert (merge.depth, merge.relation) == (3, "merge")


def test_descendants_filters_by_relation_and_depth(clean_graph: Driver) -> None:
    _write(clean_graph)
    quant = reads.descendants(clean_graph, "r/root", relations=[Relation.QUANTIZED, "adapter"])
    assert (quant.total, {d.model.id for d in quant.items}) == (2, {"a/q1", "a/ad1"})
    shallow = reads.descendants(clean_graph, "r/root", max_depth=1)
    assert (shallow.total, {d.model.id for d in shallow.items}) == (2, {"a/ft1", "a/ft2"})
    # the walk used for as_of reads agrees with the index
    walked = reads.descendants(clean_graph, "r/root", as_of=at(1), limit=100)
    indexed = reads.descendants(clean_graph, "r/root", limit=100)
    assert [(d.model.id, d.depth, d.relation) for d in walked.items] == [
        (d.model.id, d.depth, d.relation) for d in indexed.items
    ]
    assert reads.descendants(clean_graph, "r/root", as_of=at(-1)).total == 0


def test_paths_between_directed_and_through_common_ancestors(clean_graph: Driver) -> None:
    _write(clean_graph)
    down = reads.paths_between(clean_graph, "a/merge", "r/root")
    assert down.kind is PathKind.SOURCE_DESCENDS_FROM_TARGET and len(down.paths) == 2
    up = reads.paths_between(clean_graph, "r/root", "a/q1")
    assert up.kind is PathKind.TARGET_DESCENDS_FROM_SOURCE and up.paths == (("a/q1", "a/ft1", "r/root"),)
    siblings = reads.paths_between(clean_graph, "a/q1", "a/ad1")
    assert siblings.kind is PathKind.COMMON_ANCESTOR
    assert siblings.common_ancestors == ("a/ft1",) and siblings.paths == (("a/q1", "a/ft1", "a/ad1"),)
    assert reads.paths_between(clean_graph, "a/ad1", "other/root").kind is PathKind.UNRELATED


def test_family_sizes_by_depth_and_relation(clean_graph: Driver) -> None:
    _write(clean_graph)
    fam = reads.family(clean_graph, "r/root")
    assert fam.total == 6
    assert dict(fam.by_depth) == {1: 2, 2: 3, 3: 1}
    assert dict(fam.by_relation) == {"finetune": 3, "quantized": 1, "adapter": 1, "merge": 1}
    historic = reads.family(clean_graph, "r/root", as_of=at(1))
    assert (historic.total, historic.by_depth_relation) == (fam.total, fam.by_depth_relation)


def test_model_by_file_sha_and_deployments_reached(clean_graph: Driver) -> None:
    _write(clean_graph)
    [match] = reads.by_file(clean_graph, "ab" * 32)
    assert (match.model.id, match.file_name, match.size) == ("a/q1", "q1.Q4_K_M.gguf", 123)
    assert reads.by_file(clean_graph, "cd" * 32) == ()
    reached = reads.deployments(clean_graph, "r/root")
    assert [(d.id, d.model_id, d.depth, d.operator) for d in reached] == [
        ("provider:p:r/root", "r/root", 0, "p"),
        ("space:x/demo", "a/merge", 3, "x"),
    ]
    assert [d.id for d in reads.deployments(clean_graph, "r/root", include_descendants=False)] == ["provider:p:r/root"]
    assert reads.deployments(clean_graph, "r/root", as_of=at(1)) == reached


def test_bad_arguments_and_unknown_models_are_refused(clean_graph: Driver) -> None:
    _write(clean_graph)
    for depth in (0, 65, True):
        with pytest.raises(InvalidArgument):
            reads.ancestors(clean_graph, "a/merge", max_depth=depth)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        reads.descendants(clean_graph, "r/root", relations=["distilled"])
    with pytest.raises(InvalidArgument):
        reads.descendants(clean_graph, "r/root", limit=0)
    other = reads.descendants(clean_graph, "a/ft1", limit=1).next_cursor
    assert other is not None
    with pytest.raises(InvalidArgument):
        reads.descendants(clean_graph, "r/root", cursor=other)
    with pytest.raises(InvalidArgument):
        reads.descendants(clean_graph, "r/root", cursor="not base64!")
    with pytest.raises(ModelNotFound):
        reads.ancestors(clean_graph, "no/such-model")
    with pytest.raises(ModelNotFound):
        reads.descendants(clean_graph, "no/such-model")
