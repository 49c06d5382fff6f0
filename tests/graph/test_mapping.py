"""Observations → graph records (pure)."""

from __future__ import annotations

from crawler.observations import (
    AliasSeen,
    DeclaredLicense,
    DeploymentKind,
    DeploymentSeen,
    EvidenceKind,
    FileSeen,
    GateState,
    ModelStatus,
    ProblemKind,
    ProblemSeen,
    Relation,
)
from graph.mapping import map_observations, rewrite_model_ids
from graph.records import GraphRecords, LinkType, NodeLabel, PropValue, VersionedLinkType

from tests.support.observations import at, derived, seen, src


def test_model_seen_becomes_model_publisher_licence_and_datasets() -> None:
    out = map_observations(
        [
            seen(
                "org/m",
                declared_license=DeclaredLicense("llama3.1"),
                gated=GateState.MANUAL,
                datasets=("d/one", "d/two"),
                downloads=7,
            )
        ]
    )
    [model] = out.models
    assert model.id == "org/m" and model.status == "available" and model.gate == "manual"
    assert model.props["author"] == "org" and model.props["downloads"] == 7 and model.props["name"] == "m"
    assert "likes" not in model.props  # unknown values are not written (they would erase known ones)
    assert {(n.label, n.key) for n in out.nodes} == {
        (NodeLabel.PARTY, "org"),
        (NodeLabel.LICENSE, "llama3.1"),
        (NodeLabel.DATASET, "d/one"),
        (NodeLabel.DATASET, "d/two"),
    }
    assert {(v.type, v.target_id) for v in out.versioned} == {
        (VersionedLinkType.PUBLISHED, "org"),
        (VersionedLinkType.DECLARES, "llama3.1"),
    }
    assert {(link.type, link.dst) for link in out.links} == {
        (LinkType.TRAINED_ON, "d/one"),
        (LinkType.TRAINED_ON, "d/two"),
    }
    # a full observation with no derivations in the batch declares no parents
    assert [(p.child, p.parents) for p in out.parent_sets] == [("org/m", frozenset())]


def _declares(out: GraphRecords) -> list[tuple[str, dict[str, PropValue]]]:
    return [(v.target_id, dict(v.props)) for v in out.versioned if v.type is VersionedLinkType.DECLARES]


def test_the_declared_licence_is_resolved_once_and_kept_as_declared() -> None:
    declared = DeclaredLicense("OTHER", "DeepSeek-License", "https://example.org/LICENSE")
    out = map_observations([seen("org/m", declared_license=declared)])
    assert _declares(out) == [
        ("deepseek", {"raw": "OTHER", "license_name": "DeepSeek-License", "license_link": "https://example.org/LICENSE"})
    ]
    [model] = out.models
    assert (model.props["license_raw"], model.props["license_name"]) == ("OTHER", "DeepSeek-License")
    assert (NodeLabel.LICENSE, "deepseek") in {(n.label, n.key) for n in out.nodes}
    assert out.problems == []


def test_a_one_item_list_is_stored_as_written_and_resolved_by_its_item() -> None:
    out = map_observations([seen("org/m", declared_license=DeclaredLicense("mit", written_as='["mit"]'))])
    assert _declares(out) == [("mit", {"raw": '["mit"]'})]


def test_an_unrecognised_licence_is_unknown_with_the_raw_value_and_a_problem() -> None:
    out = map_observations([seen("org/m", declared_license=DeclaredLicense("my-own-terms"))])
    assert _declares(out) == [("unknown", {"raw": "my-own-terms"})]
    assert [(p.model_id, p.kind, p.message) for p in out.problems] == [
        ("org/m", "unknown_license", "license 'my-own-terms' is not a Hub licence id")
    ]


def test_nothing_declared_writes_no_licence() -> None:
    out = map_observations([seen("a/none"), seen("a/link", declared_license=DeclaredLicense(link="LICENSE"))])
    assert _declares(out) == [] and out.problems == []
    assert [m.props.get("license_link") for m in out.models] == [None, "LICENSE"]


def test_derivations_are_grouped_per_edge_with_all_their_evidence() -> None:
    out = map_observations(
        [
            seen("a/child"),
            derived("a/child", "b/base", kind=EvidenceKind.HUB_TAG),
            derived("a/child", "b/base", kind=EvidenceKind.CARD_BASE_MODEL, detail="b/base"),
            derived("a/child", "b/base", kind=EvidenceKind.HUB_TAG),  # the same piece again
            derived("a/child", "c/other", kind=EvidenceKind.CARD_TEXT, confidence=0.5, relation=Relation.UNKNOWN),
        ]
    )
    by_parent = {d.parent: d for d in out.derivations}
    assert sorted(e.kind for e in by_parent["b/base"].evidence) == ["card_base_model", "hub_tag"]
    assert [e.confidence for e in by_parent["c/other"].evidence] == [0.5]
    assert {m.id for m in out.mentions} == {"b/base", "c/other"}  # a/child has its own record
    assert [(p.child, p.parents) for p in out.parent_sets] == [("a/child", frozenset({"b/base", "c/other"}))]


def test_full_models_limits_which_observations_close_parents() -> None:
    obs = [seen("a/x"), seen("a/y"), derived("a/x", "p/p")]
    assert [p.child for p in map_observations(obs, full_models={"a/y"}).parent_sets] == ["a/y"]
    assert map_observations(obs, full_models=()).parent_sets == []


def test_statuses_other_than_available_map_to_their_own_records() -> None:
    out = map_observations(
        [
            seen("gone/m", status=ModelStatus.DELETED),
            seen("down/m", status=ModelStatus.UNAVAILABLE),
            seen("who/m", status=ModelStatus.UNKNOWN),
        ]
    )
    assert [(m.id, m.status, dict(m.props)) for m in out.models] == [
        ("gone/m", "deleted", {"hub": "huggingface", "name": "m"})
    ]
    assert [m.id for m in out.unavailable] == ["down/m"]
    assert [m.id for m in out.mentions] == ["who/m"]
    assert out.parent_sets == []  # neither deletion nor failure says anything about parents
    assert out.versioned == []


def test_deployments_files_aliases_and_problems() -> None:
    sha = "ab" * 32
    out = map_observations(
        [
            DeploymentSeen("space:o/s", DeploymentKind.SPACE, "org/m", "o", "RUNNING", "https://s", src("o/s")),
            FileSeen("org/m", "model.gguf", 12, sha, src("org/m")),
            FileSeen("org/m", "config.json", 3, None, src("org/m")),
            AliasSeen("old/m", "org/m", src("old/m")),
            AliasSeen("same/m", "same/m", src("same/m")),
            ProblemSeen("org/m", ProblemKind.CARD_TAG_DISAGREE, "card says old/m", src("org/m")),
        ]
    )
    assert {(link.type, link.src, link.dst) for link in out.links} == {
        (LinkType.SERVES, "space:o/s", "org/m"),
        (LinkType.OPERATES, "o", "space:o/s"),
        (LinkType.HAS_FILE, "org/m", sha),
    }
    assert out.skipped == 2  # the file without sha256 and the alias to itself
    assert [(a.old_id, a.new_id) for a in out.aliases] == [("old/m", "org/m")]
    assert [(p.kind, p.message) for p in out.problems] == [("card_tag_disagree", "card says old/m")]


def test_repeated_simple_nodes_collapse_to_latest_values_and_earliest_time() -> None:
    out = map_observations(
        [
            DeploymentSeen("space:o/s", DeploymentKind.SPACE, "a/m", None, "RUNNING", None, src("o/s", 2)),
            DeploymentSeen("space:o/s", DeploymentKind.SPACE, "a/m", None, "STOPPED", None, src("o/s", 1)),
            DeploymentSeen("space:o/s", DeploymentKind.SPACE, "a/m", None, "BUILDING", None, src("o/s", 3)),
        ]
    )
    [node] = [n for n in out.nodes if n.label is NodeLabel.DEPLOYMENT]
    assert node.props["status"] == "BUILDING"
    assert node.first_seen == at(1)
    assert node.prov.observed_at == at(3)


def test_rewrite_model_ids_moves_every_reference_and_merges_edges() -> None:
    out = map_observations(
        [
            seen("new/m"),
            derived("new/m", "old/base", kind=EvidenceKind.CARD_BASE_MODEL, detail="old/base"),
            derived("new/m", "cur/base", kind=EvidenceKind.HUB_TAG),
            FileSeen("old/base", "w.bin", 1, "cd" * 32, src("old/base")),
        ]
    )
    rewritten = rewrite_model_ids(out, {"old/base": "cur/base"})
    [edge] = rewritten.derivations
    assert (edge.child, edge.parent) == ("new/m", "cur/base")
    assert sorted(e.kind for e in edge.evidence) == ["card_base_model", "hub_tag"]
    assert [p.parents for p in rewritten.parent_sets] == [frozenset({"cur/base"})]
    assert {m.id for m in rewritten.mentions} == {"cur/base"}
    assert [link.src for link in rewritten.links if link.type is LinkType.HAS_FILE] == ["cur/base"]
