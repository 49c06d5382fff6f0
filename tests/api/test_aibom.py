"""The CycloneDX 1.6 ML-BOM: valid against the 1.6 JSON schema, the model with its licences, and its
lineage as ``pedigree.ancestors`` (each with its own licence and relation)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from neo4j import Driver

from reports.aibom import MEDIA_TYPE, aibom_json
from hubreplay.snapshot import bundled_snapshot_path
from reports.dossier import investigate
from terms.licenses import default_catalog
from tests.support.families import (
    GGUF,
    GGUF_BASE,
    GGUF_PARENT,
    INSTRUCT,
    MERGE,
    RELICENSED,
    Families,
)

pytestmark = pytest.mark.integration

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)
CATALOG = default_catalog()


def _snapshot_models() -> dict[str, dict[str, Any]]:
    with gzip.open(bundled_snapshot_path() / "models.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {str(r["id"]): r for r in map(json.loads, lines)}


MODELS = _snapshot_models()


def _valid(text: str) -> dict[str, Any]:
    error = VALIDATOR.validate_str(text)
    assert error is None, str(error)
    return json.loads(text)  # type: ignore[no-any-return]


def _props(component: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", []) if p["name"] == name]


def _licences(component: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["license"] for entry in component.get("licenses", [])]


def test_a_quantization_lists_its_ancestors_with_their_licences(neo4j_driver: Driver, families: Families) -> None:
    bom = _valid(aibom_json(investigate(neo4j_driver, GGUF)))
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model"
    assert (model["group"], model["name"]) == tuple(GGUF.split("/"))
    assert model["purl"] == f"pkg:huggingface/{GGUF}"
    gemma_url = CATALOG.get("gemma").sources[0]
    declared = [lic for lic in _licences(model) if lic["acknowledgement"] == "declared"]
    assert declared == [{"acknowledgement": "declared", "name": "gemma", "url": gemma_url}]
    ancestors = {a["bom-ref"]: a for a in model["pedigree"]["ancestors"]}
    assert set(ancestors) == {f"model:{GGUF_PARENT}", f"model:{GGUF_BASE}"}
    parent, base = ancestors[f"model:{GGUF_PARENT}"], ancestors[f"model:{GGUF_BASE}"]
    assert _props(parent, "lineage:relation") == ["quantized"]  # how the GGUF repo derives from it
    assert _props(base, "lineage:relation") == ["finetune"]
    assert _props(model, "lineage:parent") == [f"quantized:{GGUF_PARENT}"]
    assert _props(parent, "lineage:parent") == [f"finetune:{GGUF_BASE}"]
    for ancestor in (parent, base):
        assert ancestor["type"] == "machine-learning-model"
        assert [lic["name"] for lic in _licences(ancestor)] == ["gemma"]
    assert parent["version"] == MODELS[GGUF_PARENT]["sha"]
    assert parent["purl"] == f"pkg:huggingface/{GGUF_PARENT}@{MODELS[GGUF_PARENT]['sha']}"
    evidence = [ref for ref in model["externalReferences"] if ref["type"] == "evidence"]
    assert any("derives from" in ref["comment"] and ref["url"].endswith(f"/api/models/{GGUF}") for ref in evidence)
    assert model["modelCard"]["modelParameters"]["task"] == MODELS[GGUF]["cardData"]["pipeline_tag"]
    dossier_hash = [p["value"] for p in bom["metadata"]["properties"] if p["name"] == "lineage:dossier-hash"]
    assert dossier_hash == [investigate(neo4j_driver, GGUF).content_hash]


def test_spdx_licences_by_id_and_the_licence_then(neo4j_driver: Driver, families: Families) -> None:
    then = _valid(aibom_json(investigate(neo4j_driver, RELICENSED, as_of=datetime(2024, 9, 1, tzinfo=UTC))))
    now = _valid(aibom_json(investigate(neo4j_driver, RELICENSED)))
    declared_then = [lic for lic in _licences(then["metadata"]["component"]) if lic["acknowledgement"] == "declared"]
    declared_now = [lic for lic in _licences(now["metadata"]["component"]) if lic["acknowledgement"] == "declared"]
    assert declared_then == [{"acknowledgement": "declared", "id": "Apache-2.0"}]
    assert declared_now == [{"acknowledgement": "declared", "name": "llama3.1",
                             "url": CATALOG.get("llama3.1").sources[0]}]
    # in September 2024 the base had not been observed: no licence claimed for it, and it says so
    (base,) = then["metadata"]["component"]["pedigree"]["ancestors"]
    assert "licenses" not in base and _props(base, "lineage:license") == ["unknown (never observed)"]


def test_a_merge_lists_every_ancestor_once_with_its_own_licence(neo4j_driver: Driver, families: Families) -> None:
    dossier = investigate(neo4j_driver, MERGE)
    bom = _valid(aibom_json(dossier))
    model = bom["metadata"]["component"]
    assert [lic["id"] for lic in _licences(model) if lic["acknowledgement"] == "declared"] == ["CC-BY-NC-4.0"]
    refs = [a["bom-ref"] for a in model["pedigree"]["ancestors"]]
    assert sorted(refs) == sorted(f"model:{m.id}" for m in dossier.models[1:]) and len(set(refs)) == len(refs)
    assert len(_props(model, "lineage:parent")) == 2
    for ancestor in model["pedigree"]["ancestors"]:
        card_licence = (MODELS[_props(ancestor, "lineage:id")[0]].get("cardData") or {}).get("license")
        if card_licence:
            entry = CATALOG.get(card_licence)
            assert [lic.get("id") or lic.get("name") for lic in _licences(ancestor)] == [entry.spdx or card_licence]
    assert any(value.startswith("R") for value in _props(model, "lineage:conflict"))
    assert _props(model, "lineage:commercial-status") == ["non_commercial"]


def test_the_same_dossier_gives_the_same_bom_serial(neo4j_driver: Driver, families: Families) -> None:
    one = json.loads(aibom_json(investigate(neo4j_driver, INSTRUCT)))
    two = json.loads(aibom_json(investigate(neo4j_driver, INSTRUCT)))
    assert one["serialNumber"] == two["serialNumber"]
    assert _props(one["metadata"]["component"], "lineage:deployment")


def test_the_validator_rejects_a_broken_bom(neo4j_driver: Driver, families: Families) -> None:
    bom = json.loads(aibom_json(investigate(neo4j_driver, GGUF)))
    bom["metadata"]["component"]["pedigree"]["ancestors"][0]["licenses"] = [{"license": {"url": "https://x.test"}}]
    assert VALIDATOR.validate_str(json.dumps(bom)) is not None


@pytest.mark.anyio
async def test_get_aibom_serves_a_valid_ml_bom(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/aibom/{MERGE}", params={"asOf": datetime.now(UTC).isoformat()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    bom = _valid(response.text)
    assert bom["metadata"]["component"]["bom-ref"] == f"model:{MERGE}"
    assert len(bom["metadata"]["component"]["pedigree"]["ancestors"]) == 4
