"""Completed use policies on real Hub families (the recorded rows of tests/graph/fixtures)."""

from __future__ import annotations

import pytest

from crawler.observations import Relation
from terms.licenses import default_catalog
from terms.propagation import LineageEdge, LineageView, PropagationEngine, PropagationResult
from tests.graph.test_propagation_real_cases import _node, _rows


@pytest.fixture(scope="module")
def results() -> dict[str, PropagationResult]:
    rows = _rows("hub_rows.jsonl")
    edges = [LineageEdge(row["id"], parent, Relation(row["relation"]) if row["relation"] else Relation.UNKNOWN)
             for row in rows for parent in row["base_models"]]
    return PropagationEngine().evaluate(LineageView.build([_node(r) for r in rows], edges))


def test_a_llama_3_1_finetune_carries_the_whole_acceptable_use_policy(results: dict[str, PropagationResult]) -> None:
    r = results["fluently-lm/Llama-TI-8B"]  # declared apache-2.0 on meta-llama/Llama-3.1-8B
    assert {"disinformation", "harassment_defamation", "spam_malware", "privacy_violation", "infringement",
            "discrimination", "fake_engagement", "undisclosed_machine_generation"} <= set(r.restrictions)
    assert set(default_catalog().get("llama3.1").restrictions) <= set(r.restrictions)
    assert r.restrictions_complete is True
    sections = default_catalog().terms("llama3.1").sections
    assert sections["restriction:disinformation"] == "AUP §3.a"
    assert sections["restriction:spam_malware"] == "AUP §1.g; AUP §3.c"


def test_a_gemma_finetune_carries_the_whole_prohibited_use_policy(results: dict[str, PropagationResult]) -> None:
    r = results["LenguajeNaturalAI/leniachat-gemma-2b-v0"]
    assert {"privacy_violation", "surveillance", "discrimination", "sexual_content"} <= set(r.restrictions)
    dropped = next(c for c in r.conflicts if c.rule == "R07")
    assert "privacy_violation" in dropped.message
