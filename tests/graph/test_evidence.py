"""Evidence merging and version planning for DERIVED_FROM (pure)."""

from __future__ import annotations

from graph.evidence import (
    EdgeVersion,
    edge_properties,
    evidence_from_properties,
    merge_evidence,
    plan_derivation,
    summarise,
)
from graph.records import DerivationRecord, EvidenceRecord

from tests.support.observations import at


def ev(kind: str, conf: float, day: float, relation: str = "finetune", detail: str = "d", rev: str = "r") -> EvidenceRecord:
    return EvidenceRecord(kind, detail, relation, conf, f"https://u/{kind}", rev, at(day), at(day))


def test_same_piece_is_widened_not_duplicated() -> None:
    merged = merge_evidence([ev("hub_tag", 0.9, 1, rev="a")], [ev("hub_tag", 1.0, 3, rev="b"), ev("hub_tag", 0.8, 2)])
    assert len(merged) == 1
    [piece] = merged
    assert (piece.first_seen, piece.last_seen, piece.confidence, piece.revision) == (at(1), at(3), 1.0, "b")


def test_stronger_later_evidence_keeps_weaker_earlier_pieces() -> None:
    merged = merge_evidence([ev("name_pattern", 0.4, 1, relation="quantized")], [ev("hub_tag", 1.0, 2)])
    assert [e.kind for e in merged] == ["name_pattern", "hub_tag"]
    assert summarise(merged) == ("finetune", 1.0)


def test_relation_comes_from_the_strongest_piece_that_names_one() -> None:
    pieces = [ev("card_base_model", 1.0, 1, relation="unknown"), ev("adapter_config", 0.9, 1, relation="adapter")]
    assert summarise(pieces) == ("adapter", 1.0)
    assert summarise([ev("card_text", 0.3, 1, relation="unknown")]) == ("unknown", 0.3)


def _version(props: dict[str, object], valid_to_day: float | None = None) -> EdgeVersion:
    full = dict(props)
    full["valid_from"] = full["first_seen"]
    if valid_to_day is not None:
        full["valid_to"] = at(valid_to_day)
    return EdgeVersion.from_properties("e1", full)


def test_plan_updates_the_open_version_and_is_a_no_op_when_nothing_is_new() -> None:
    stored = _version(edge_properties((ev("hub_tag", 1.0, 1),), "run1"))
    same = DerivationRecord("c", "p", (ev("hub_tag", 1.0, 1),))
    assert plan_derivation(same, [stored], "run1") is None
    more = DerivationRecord("c", "p", (ev("card_text", 0.5, 2),))
    plan = plan_derivation(more, [stored], "run2")
    assert plan is not None and plan.element_id == "e1" and not plan.opened
    assert [e.kind for e in evidence_from_properties(plan.props)] == ["hub_tag", "card_text"]
    assert plan.props["last_run"] == "run2"


def test_plan_opens_a_new_version_after_a_closed_one_and_keeps_late_evidence_on_the_old() -> None:
    closed = _version(edge_properties((ev("hub_tag", 1.0, 1),), "run1"), valid_to_day=5)
    late = plan_derivation(DerivationRecord("c", "p", (ev("card_text", 0.5, 3),)), [closed], "run9")
    assert late is not None and late.element_id == "e1"  # observed while the old version held
    again = plan_derivation(DerivationRecord("c", "p", (ev("hub_tag", 1.0, 7),)), [closed], "run9")
    assert again is not None and again.element_id is None and again.opened
    assert again.props["valid_from"] == at(7)


def test_a_new_edge_has_only_the_properties_its_create_statement_names() -> None:
    from graph.statements.lineage import DERIVED_PROPS, DERIVED_TIMES

    plan = plan_derivation(DerivationRecord("c/x", "p/y", (ev("hub_tag", 1.0, 1), ev("card_base_model", 1.0, 2))), [], "r")
    assert plan is not None and plan.element_id is None
    assert plan.props.keys() <= set(DERIVED_PROPS) | set(DERIVED_TIMES)
