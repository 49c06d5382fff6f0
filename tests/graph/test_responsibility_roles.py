"""Who is an original provider, who owes the use restrictions, and what a licensor owes (engine only).

The knowledge base decides the expected values: a licence's ``licensor_hub_orgs``, its restriction
terms, and ``terms/licenses/data/originals.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crawler.observations import DeploymentKind, Relation
from terms.licenses import FlowDown, TermKind, default_catalog
from terms.licenses.errors import KnowledgeBaseError
from terms.licenses.originals import ORIGINALS_FILE, load_original_publishers, original_publishers
from terms.propagation import (
    LicenseDeclaration,
    LineageEdge,
    LineageView,
    ModelNode,
    PropagationEngine,
    ResponsibilityStep,
    Role,
)
from terms.propagation.model import DeploymentRef

CATALOG = default_catalog()


def m(model_id: str, license_id: str | None = None, **kw: Any) -> ModelNode:
    return ModelNode(model_id, (LicenseDeclaration(license_id),) if license_id else (), **kw)


def chain(nodes: list[ModelNode], target: str, edges: tuple[LineageEdge, ...] = ()) -> tuple[ResponsibilityStep, ...]:
    return PropagationEngine().run(LineageView.build(nodes, list(edges))).responsibility_chain(target)


def restriction_texts(license_id: str) -> list[str]:
    return [t.description for t in CATALOG.terms(license_id).all if t.kind is TermKind.RESTRICTION]


def licence_duties(step: ResponsibilityStep, license_id: str) -> list[str]:
    return [o.id for o in step.obligations if o.license_id == license_id]


def test_every_listed_original_publisher_has_a_name_and_a_public_source() -> None:
    listed = original_publishers()
    assert {"meta-llama", "mistralai", "google"} <= set(listed)
    for org, publisher in listed.items():
        assert publisher.org == org and publisher.name
        assert publisher.source.startswith("https://"), org


def test_an_original_publisher_without_a_source_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "originals.yaml"
    bad.write_text(ORIGINALS_FILE.read_text(encoding="utf-8") + "  someone:\n    name: Someone\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="someone"):
        load_original_publishers(bad)


def test_a_licensor_declaring_its_own_licence_is_the_original_provider_and_owes_nothing_under_it() -> None:
    (org,) = CATALOG.get("llama3.1").licensor_hub_orgs
    steps = chain([m(f"{org}/Base", "llama3.1")], f"{org}/Base")
    model = next(s for s in steps if s.role is Role.ORIGINAL_PROVIDER)
    assert model.party_id == org and licence_duties(model, "llama3.1") == []
    assert {o.id for o in model.obligations} == {"act:art53"}


def test_a_listed_publisher_is_an_original_under_a_licence_without_licensor_and_owes_none_of_its_notices() -> None:
    org = "mistralai"
    assert org in original_publishers() and not CATALOG.get("apache-2.0").licensor_hub_orgs
    own = chain([m(f"{org}/Base", "apache-2.0")], f"{org}/Base")
    model = next(s for s in own if s.model_id == f"{org}/Base" and s.role is Role.ORIGINAL_PROVIDER)
    assert licence_duties(model, "apache-2.0") == []
    ft = chain([m(f"{org}/Base", "apache-2.0"), m("someone/Tuned", "apache-2.0")], "someone/Tuned",
               (LineageEdge("someone/Tuned", f"{org}/Base", Relation.FINETUNE),))
    tuner = next(s for s in ft if s.role is Role.FINE_TUNER)
    assert any(o.id.startswith("apache-2.0:attribution") for o in tuner.obligations)  # a fine-tuner keeps them


@pytest.mark.parametrize("author", ["someone", "google"])  # google is a listed original, but not Meta
def test_a_llama_licence_declared_by_another_author_without_parent_is_parent_not_recorded(author: str) -> None:
    entry = CATALOG.get("llama3.1")
    assert author not in entry.licensor_hub_orgs
    model_id = f"{author}/Llama-Tuned"
    run = PropagationEngine().run(LineageView.build([m(model_id, "llama3.1")], []))
    result = run.result(model_id)
    assert result.role is Role.PARENT_NOT_RECORDED
    (part,) = [p for p in result.unknown_parts if p.startswith(f"{model_id}: parent not recorded")]
    assert entry.licensor is not None and entry.licensor in part and "llama3.1" in part
    steps = run.responsibility_chain(model_id)
    own = next(s for s in steps if s.role is Role.PARENT_NOT_RECORDED)
    assert own.unknown is not None and entry.licensor in own.unknown
    ids = {o.id for o in own.obligations}
    assert "act:provider_unknown" in ids and "act:art53" not in ids
    assert "llama3.1:restrictions" in ids  # whoever declares the licence is bound by it
    (pointer,) = [s for s in steps if s.role is Role.LICENSOR]
    assert (pointer.model_id, pointer.party_id, pointer.licenses, pointer.obligations) == (
        model_id, entry.licensor_hub_orgs[0], ("llama3.1",), ())
    assert pointer.depth == own.depth + 1


def test_an_unlisted_author_without_parent_under_a_permissive_licence_is_parent_not_recorded() -> None:
    model_id = "someone/Model-7B"
    run = PropagationEngine().run(LineageView.build([m(model_id, "apache-2.0")], []))
    assert run.result(model_id).role is Role.PARENT_NOT_RECORDED
    steps = run.responsibility_chain(model_id)
    assert not [s for s in steps if s.role is Role.LICENSOR]  # nothing points to other material
    assert run.result(model_id).commercial.status.value == "allowed"  # the terms it declares are still known


def test_hosts_inference_providers_deployers_and_users_owe_the_use_restrictions_in_force() -> None:
    deps = (DeploymentRef("space:a/demo", DeploymentKind.SPACE, "a"),
            DeploymentRef("provider:b:x", DeploymentKind.INFERENCE_PROVIDER, "b"),
            DeploymentRef("registered:c", DeploymentKind.REGISTERED, "c"))
    (org,) = CATALOG.get("llama3.1").licensor_hub_orgs
    steps = chain([m(f"{org}/Base", "llama3.1"), m("u/Tuned", "llama3.1", deployments=deps)], "u/Tuned",
                  (LineageEdge("u/Tuned", f"{org}/Base", Relation.FINETUNE),))
    expected = restriction_texts("llama3.1")
    assert expected
    by_role = {s.role: s for s in steps}
    for role in (Role.HOST, Role.INFERENCE_PROVIDER, Role.DEPLOYER, Role.USER):
        (duty,) = [o for o in by_role[role].obligations if o.id == "llama3.1:restrictions"]
        assert f"the {len(expected)} uses llama3.1 restricts" in duty.text
        assert all(text in duty.text for text in expected)
        if role is not Role.USER and CATALOG.get("llama3.1").flow_down is FlowDown.PRIVITY:
            assert "use policy of llama3.1" in duty.text
        # a list the knowledge base does not hold in full says so
        assert ("may not list every restriction" in duty.text) is not CATALOG.get("llama3.1").restrictions_complete
    assert by_role[Role.USER].party_id is None and by_role[Role.USER].deployment_id is None


def test_a_licensor_serving_its_own_model_owes_nothing_under_its_licence() -> None:
    (org,) = CATALOG.get("llama3.1").licensor_hub_orgs
    dep = DeploymentRef(f"space:{org}/demo", DeploymentKind.SPACE, org)
    steps = chain([m(f"{org}/Base", "llama3.1", deployments=(dep,))], f"{org}/Base")
    host = next(s for s in steps if s.role is Role.HOST)
    assert licence_duties(host, "llama3.1") == [] and {o.id for o in host.obligations} >= {"act:art50"}


def test_a_parentless_model_without_a_licence_is_parent_not_recorded_and_says_what_it_declares() -> None:
    run = PropagationEngine().run(LineageView.build([m("someone/Bare"), m("someone/Odd", "no-such-licence")], []))
    bare, odd = run.result("someone/Bare"), run.result("someone/Odd")
    assert bare.role is odd.role is Role.PARENT_NOT_RECORDED
    assert any("declares no licence" in p and "parent not recorded" in p for p in bare.unknown_parts)
    assert any("declares no recognised licence" in p for p in odd.unknown_parts)
