"""The responsibility chain on the bundled real snapshot, for the cases of an investigation of a misused
chatbot built on a Llama derivative: who owes the use restrictions, what a licensor owes, and which
parentless models are original providers.

Expected values come from the snapshot rows (declared licences, base models, Spaces, inference
providers) and the licence knowledge base (restrictions, licensors), not from the code under test.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from neo4j import Driver

from graph.results.engine_input import load_lineage_view
from hubreplay.snapshot import bundled_snapshot_path
from reports.dossier import investigate
from reports.render import Format, render
from terms.licenses import FlowDown, TermKind, default_catalog
from terms.licenses.originals import original_publishers
from terms.propagation import PropagationEngine, PropagationRun, ResponsibilityStep, Role
from tests.support.bundled import BundledGraph

pytestmark = pytest.mark.integration

INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_BASE = "meta-llama/Llama-3.1-8B"
MISTRAL = "mistralai/Mistral-7B-v0.1"
MISTRAL_FINETUNE = "Intel/neural-chat-7b-v3"  # an apache-2.0 fine-tune of MISTRAL by another party
UNRECORDED_LLAMA = ("Aryanne/SuperHeart", "BAAI/OPI-Llama-3.1-8B-Instruct")
UNRECORDED_APACHE = ("berkeley-nest/Starling-LM-7B-alpha", "meta-math/MetaMath-Mistral-7B")
NEVER_FETCHED = "01-ai/Yi-Coder-9B"  # a reference stub of the snapshot, by an organisation that pretrains its own models
CATALOG = default_catalog()


def _rows() -> dict[str, dict[str, Any]]:
    with gzip.open(bundled_snapshot_path() / "models.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {str(r["id"]): r for r in map(json.loads, lines)}


ROWS = _rows()


def _tags(model_id: str, prefix: str) -> list[str]:
    return [t.split(":", 1)[1] for t in ROWS[model_id].get("tags") or [] if t.startswith(prefix)]


def _restrictions(license_id: str) -> list[str]:
    return [t.description for t in CATALOG.terms(license_id).all if t.kind is TermKind.RESTRICTION]


@pytest.fixture(scope="module")
def run(bundled_graph: BundledGraph, neo4j_driver: Driver) -> PropagationRun:
    bundled_graph.ensure()
    ids = [INSTRUCT, MISTRAL, MISTRAL_FINETUNE, *UNRECORDED_LLAMA, *UNRECORDED_APACHE, NEVER_FETCHED]
    loaded = load_lineage_view(neo4j_driver, ids)
    assert set(ids) <= set(loaded.view.nodes)
    return PropagationEngine(CATALOG).run(loaded.view)


def _licence_duties(step: ResponsibilityStep, license_id: str) -> list[str]:
    return [o.id for o in step.obligations if o.license_id == license_id]


def test_hosts_inference_providers_and_users_of_llama_3_1_instruct_owe_its_use_restrictions(
    run: PropagationRun,
) -> None:
    assert _tags(INSTRUCT, "license:") == ["llama3.1"]
    assert ROWS[INSTRUCT].get("spaces") and ROWS[INSTRUCT].get("inferenceProviderMapping")
    chain = run.responsibility_chain(INSTRUCT)
    roles = {s.role for s in chain}
    assert {Role.HOST, Role.INFERENCE_PROVIDER, Role.USER} <= roles
    expected = _restrictions("llama3.1")
    assert expected
    serving = [s for s in chain if s.deployment_id is not None]
    (user,) = [s for s in chain if s.role is Role.USER]
    for step in [*serving, user]:
        (duty,) = [o for o in step.obligations if o.id == "llama3.1:restrictions"]
        assert duty.license_id == "llama3.1" and f"the {len(expected)} uses llama3.1 restricts" in duty.text
        assert all(text in duty.text for text in expected), step
    if CATALOG.get("llama3.1").flow_down is FlowDown.PRIVITY:  # every user is bound: hosts must not let them break it
        assert all("use policy of llama3.1" in o.text for s in serving for o in s.obligations
                   if o.id == "llama3.1:restrictions")
    assert user.party_id is None and user.model_id == INSTRUCT and user.licenses == ("llama3.1",)


def test_meta_owes_nothing_under_its_own_llama_licence(run: PropagationRun) -> None:
    (org,) = CATALOG.get("llama3.1").licensor_hub_orgs
    chain = run.responsibility_chain(INSTRUCT)
    own = [s for s in chain if s.deployment_id is None and s.party_id == org]
    assert [(s.model_id, s.role) for s in own] == [(INSTRUCT, Role.FINE_TUNER), (LLAMA_BASE, Role.ORIGINAL_PROVIDER)]
    for step in own:
        assert _licence_duties(step, "llama3.1") == [], step
    assert any(o.id == "act:art53" for o in own[1].obligations)


def test_mistral_owes_no_apache_notice_on_its_own_original_but_a_fine_tuner_of_it_does(run: PropagationRun) -> None:
    assert _tags(MISTRAL, "license:") == ["apache-2.0"] and not _tags(MISTRAL, "base_model:")
    assert "mistralai" in original_publishers()
    (step,) = [s for s in run.responsibility_chain(MISTRAL) if s.model_id == MISTRAL and s.role is not Role.USER]
    assert step.role is Role.ORIGINAL_PROVIDER and _licence_duties(step, "apache-2.0") == []
    assert f"finetune:{MISTRAL}" in _tags(MISTRAL_FINETUNE, "base_model:")
    tuner = next(s for s in run.responsibility_chain(MISTRAL_FINETUNE) if s.model_id == MISTRAL_FINETUNE
                 and s.role is Role.FINE_TUNER)
    assert any(o.startswith("apache-2.0:attribution") for o in _licence_duties(tuner, "apache-2.0"))


@pytest.mark.parametrize("model_id", [*UNRECORDED_LLAMA, *UNRECORDED_APACHE])
def test_parentless_derivatives_are_parent_not_recorded_not_original_providers(
    run: PropagationRun, model_id: str
) -> None:
    (declared,) = _tags(model_id, "license:")
    assert not _tags(model_id, "base_model:")
    result = run.result(model_id)
    assert result.role is Role.PARENT_NOT_RECORDED
    assert any(p.startswith(f"{model_id}: parent not recorded") for p in result.unknown_parts)
    chain = run.responsibility_chain(model_id)
    (own,) = [s for s in chain if s.model_id == model_id and s.role is Role.PARENT_NOT_RECORDED]
    assert own.unknown is not None and own.unknown.startswith("parent not recorded")
    ids = {o.id for o in own.obligations}
    assert "act:provider_unknown" in ids and "act:art53" not in ids
    assert Role.ORIGINAL_PROVIDER not in {s.role for s in chain}
    entry = CATALOG.get(declared)
    pointers = [s for s in chain if s.role is Role.LICENSOR]
    if entry.licensor_hub_orgs:  # a Llama licence by a non-Meta author: Meta's material, pointed to
        assert entry.licensor is not None and entry.licensor in own.unknown and declared in own.unknown
        assert [(p.model_id, p.party_id, p.licenses) for p in pointers] == [
            (model_id, entry.licensor_hub_orgs[0], (declared,))]
    else:
        assert pointers == []


def test_the_dossier_of_a_parentless_llama_derivative_states_the_unknown_parent_and_points_to_meta(
    run: PropagationRun, neo4j_driver: Driver
) -> None:
    model_id = UNRECORDED_LLAMA[0]
    licensor = CATALOG.get("llama3.1").licensor
    assert licensor is not None
    dossier = investigate(neo4j_driver, model_id)
    assert [(s.model, s.role) for s in dossier.chain] == [
        (model_id, "user"), (model_id, "parent_not_recorded"), (model_id, "licensor")]
    assert dossier.chain[2].party == CATALOG.get("llama3.1").licensor_hub_orgs[0]
    stated = [u.what for u in dossier.unknowns if u.subject == model_id and u.what.startswith("parent not recorded")]
    assert len(stated) == 1 and licensor in stated[0]
    assert not any("terms inherited through it: parent not recorded" in u.what for u in dossier.unknowns)
    assert "not known to be an original" in dossier.summary[0].text
    as_json = json.loads(render(dossier, Format.JSON))
    assert [s["role"] for s in as_json["chain"]] == ["user", "parent_not_recorded", "licensor"]
    assert as_json["chain"][1]["unknown"].startswith("parent not recorded")
    for fmt in (Format.MD, Format.HTML):
        text = render(dossier, fmt)
        assert "parent not recorded" in text and "Anyone who uses" in text, fmt


def test_a_record_never_fetched_is_not_known_to_be_an_original_even_from_an_original_publisher(
    run: PropagationRun,
) -> None:
    assert set(ROWS[NEVER_FETCHED]) <= {"id", "modelId", "author", "private"}  # nothing else was recorded
    assert NEVER_FETCHED.split("/")[0] in original_publishers()
    result = run.result(NEVER_FETCHED)
    assert result.role is Role.PARENT_NOT_RECORDED
    assert "G09" in {c.rule for c in result.conflicts} and "G07" not in {c.rule for c in result.conflicts}
    assert Role.ORIGINAL_PROVIDER not in {s.role for s in run.responsibility_chain(NEVER_FETCHED)}
