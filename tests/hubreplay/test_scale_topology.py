"""The real-topology hub serves the bundled real ids and their declared lineage, and nothing invented."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from hubreplay.serve import ReplayServer

ROWS = 435_785
BARE_BASES = 9_157
INVENTED_KEYS = {"cardData", "downloads", "likes", "sha", "lastModified", "createdAt", "gated", "safetensors"}


def test_known_rows_carry_their_real_lineage_tags(topology_hub: ReplayServer) -> None:
    api = HfApi(endpoint=topology_hub.url)
    instruct = api.model_info("mistralai/Mistral-Small-3.1-24B-Instruct-2503")
    assert instruct.tags == [
        "base_model:mistralai/Mistral-Small-3.1-24B-Base-2503",
        "base_model:finetune:mistralai/Mistral-Small-3.1-24B-Base-2503",
    ]
    assert instruct.author == "mistralai"
    smol = api.model_info("ds4sd/SmolDocling-256M-preview")
    assert "base_model:finetune:HuggingFaceTB/SmolVLM-256M-Instruct" in smol.tags


def test_no_licence_card_or_count_is_invented(topology_hub: ReplayServer) -> None:
    page = httpx.get(f"{topology_hub.url}/api/models", params={"limit": 1000, "full": "true"}).json()
    assert len(page) == 1000
    for item in page:
        assert not INVENTED_KEYS & set(item)
        assert not any(tag.startswith("license:") for tag in item.get("tags", []))
    bare = httpx.get(f"{topology_hub.url}/api/models/black-forest-labs/FLUX.1-dev").json()
    assert bare == {"id": "black-forest-labs/FLUX.1-dev", "modelId": "black-forest-labs/FLUX.1-dev",
                    "author": "black-forest-labs"}  # fmt: skip


def test_flux_dev_has_its_10942_direct_children(topology_hub: ReplayServer) -> None:
    api = HfApi(endpoint=topology_hub.url)
    children = [m.id for m in api.list_models(filter="base_model:black-forest-labs/FLUX.1-dev", expand=["tags"])]
    assert len(children) == len(set(children)) == 10_942


def test_health_counts_the_rows_and_bases_and_names_the_source(topology_hub: ReplayServer) -> None:
    health = httpx.get(f"{topology_hub.url}/_replay/health").json()
    assert health["kind"] == "topology"
    assert (health["rows"], health["bare_bases"]) == (ROWS, BARE_BASES)
    assert "cf92cec043265a7cb987746efbf8870fee22977e" in health["provenance"]


def test_sorted_by_first_seen_week_and_counts_refused(topology_hub: ReplayServer) -> None:
    hub = topology_hub.hub.scale  # type: ignore[attr-defined]
    url = f"{topology_hub.url}/api/models"
    newest = httpx.get(url, params={"sort": "lastModified", "limit": 3}).json()
    assert {hub.source.first_seen_week(hub.source.lookup(m["id"])) for m in newest} == {"0702"}
    assert httpx.get(url, params={"sort": "downloads"}).status_code == 400


def test_unknown_ids_are_not_found_and_changes_refused(topology_hub: ReplayServer) -> None:
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=topology_hub.url).model_info("nobody/never-existed")
    assert httpx.post(f"{topology_hub.url}/_replay/changes", json={"models": 5}).status_code == 409


def test_author_listing_of_real_ids(topology_hub: ReplayServer) -> None:
    api = HfApi(endpoint=topology_hub.url)
    mistral = [m.id for m in api.list_models(author="MistralAI")]
    assert "mistralai/Mistral-Small-3.1-24B-Instruct-2503" in mistral
    assert all(i.startswith("mistralai/") for i in mistral)
