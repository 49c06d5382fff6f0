"""The engine's edges of the rules changed for honest gaps and correctly applied duties (pure, no graph).

The real cases (by model id on the bundled snapshot) are in ``test_propagation_snapshot_cases``.
"""

from __future__ import annotations

from crawler.observations import Relation
from terms.propagation import LicenseDeclaration, LineageEdge, LineageView, ModelNode, PropagationEngine, Role


def _node(model_id: str, licence: str | None = None, *, recorded: bool = True) -> ModelNode:
    declarations = (LicenseDeclaration(licence),) if licence else ()
    return ModelNode(model_id, declarations, license_recorded=recorded)


def _rules(view: LineageView, model_id: str) -> list[str]:
    return sorted(c.rule for c in PropagationEngine().evaluate_one(view, model_id).conflicts)


def test_a_quantization_whose_record_was_never_fetched_is_unknown_not_a_violation() -> None:
    view = LineageView.build(
        [_node("meta-llama/Llama-3.1-8B", "llama3.1"), _node("q/stub-GGUF", recorded=False)],
        [LineageEdge("q/stub-GGUF", "meta-llama/Llama-3.1-8B", Relation.QUANTIZED)],
    )
    r = PropagationEngine().evaluate_one(view, "q/stub-GGUF")
    assert [c.rule for c in r.conflicts] == ["G09"]  # what it declares is unknown: no R23, no G07
    assert r.unknown_parts == ("q/stub-GGUF: licence not recorded (the model was never fetched)",)


def test_an_undeclared_quantization_of_a_permissive_model_stays_a_gap() -> None:
    view = LineageView.build(
        [_node("mistralai/Mistral-7B-v0.1", "apache-2.0"), _node("q/Mistral-7B-GGUF")],
        [LineageEdge("q/Mistral-7B-GGUF", "mistralai/Mistral-7B-v0.1", Relation.QUANTIZED)],
    )
    assert _rules(view, "q/Mistral-7B-GGUF") == ["G07"]  # Apache-2.0's copy does not bind the derivative


def test_an_undeclared_quantization_of_gemma_is_r23() -> None:
    view = LineageView.build(
        [_node("google/gemma-2-9b", "gemma"), _node("q/gemma-2-9b-GGUF")],
        [LineageEdge("q/gemma-2-9b-GGUF", "google/gemma-2-9b", Relation.QUANTIZED)],
    )
    assert _rules(view, "q/gemma-2-9b-GGUF") == ["G07", "R23"]


def test_an_undeclared_fine_tune_is_not_r23() -> None:
    view = LineageView.build(
        [_node("meta-llama/Llama-3.1-8B", "llama3.1"), _node("u/Llama-3.1-ft")],
        [LineageEdge("u/Llama-3.1-ft", "meta-llama/Llama-3.1-8B", Relation.FINETUNE)],
    )
    assert "R23" not in _rules(view, "u/Llama-3.1-ft")


def test_a_merge_of_two_llama_versions_lists_the_shared_display_duty_once() -> None:
    view = LineageView.build(
        [_node("meta-llama/Llama-3.1-8B", "llama3.1"), _node("meta-llama/Llama-3.2-3B", "llama3.2"),
         _node("u/Llama-merge", "llama3.1")],
        [LineageEdge("u/Llama-merge", "meta-llama/Llama-3.1-8B", Relation.MERGE),
         LineageEdge("u/Llama-merge", "meta-llama/Llama-3.2-3B", Relation.MERGE)],
    )
    chain = PropagationEngine().run(view).responsibility_chain("u/Llama-merge")
    (me,) = [s for s in chain if s.model_id == "u/Llama-merge" and s.role is Role.MERGER]
    texts = [o.text for o in me.obligations]
    assert texts.count('Display "Built with Llama".') == 1
    assert len(texts) == len(set(texts))


def test_a_declared_llama_version_with_no_llama_parent_keeps_its_naming_rule() -> None:
    view = LineageView.build(
        [_node("u/apache-base", "apache-2.0"), _node("u/thea-rp-3b", "llama3.2")],
        [LineageEdge("u/thea-rp-3b", "u/apache-base", Relation.FINETUNE)],
    )
    assert "R02" in _rules(view, "u/thea-rp-3b")  # nothing of the family is inherited: not a mislabel
