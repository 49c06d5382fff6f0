"""The synthetic scale hub lists like the Hub: huggingface_hub's own client walks it page by page."""

from __future__ import annotations

import re

import httpx
import pytest
from huggingface_hub import HfApi

from hubreplay.scale.settings import ScaleSettings
from hubreplay.scale.hub import build_scale_hub
from hubreplay.serve import ReplayServer
from tests.hubreplay.conftest import SMALL

LISTING_EXPAND = [
    "author", "cardData", "createdAt", "downloads", "gated", "lastModified", "library_name", "likes", "pipeline_tag",
    "safetensors", "sha", "tags", "gguf", "inferenceProviderMapping", "siblings", "spaces",
]  # fmt: skip


def test_list_sorted_by_last_modified_walks_every_model_once(synthetic_hub: ReplayServer) -> None:
    api = HfApi(endpoint=synthetic_hub.url)
    models = list(api.list_models(sort="lastModified", expand=LISTING_EXPAND))
    ids = [m.id for m in models]
    assert len(ids) == SMALL
    assert len(set(ids)) == SMALL
    stamps = [m.last_modified for m in models]
    assert all(a >= b for a, b in zip(stamps, stamps[1:], strict=False))
    first = models[0]
    assert re.fullmatch(r"[0-9a-f]{40}", first.sha or "")
    assert first.author == first.id.split("/")[0]
    assert first.id.startswith("synthetic-")
    assert first.siblings is not None and first.created_at is not None


@pytest.mark.parametrize("sort", [None, "createdAt", "downloads"])
def test_other_orders_walk_every_model_once(synthetic_hub: ReplayServer, sort: str | None) -> None:
    api = HfApi(endpoint=synthetic_hub.url)
    ids = [m.id for m in api.list_models(sort=sort, expand=["downloads", "createdAt"])]
    assert len(ids) == len(set(ids)) == SMALL


def test_page_size_is_capped_at_the_hubs_1000(synthetic_hub: ReplayServer) -> None:
    response = httpx.get(f"{synthetic_hub.url}/api/models", params={"limit": 5000, "sort": "lastModified"})
    assert len(response.json()) == 1000
    assert 'rel="next"' in response.headers["Link"]
    assert "cursor=" in response.headers["Link"]


def test_direction_minus_one_is_accepted_and_ascending_is_refused(synthetic_hub: ReplayServer) -> None:
    url = f"{synthetic_hub.url}/api/models"
    plain = httpx.get(url, params={"sort": "downloads", "limit": 20}).json()
    minus = httpx.get(url, params={"sort": "downloads", "direction": "-1", "limit": 20}).json()
    assert plain == minus
    assert httpx.get(url, params={"sort": "downloads", "direction": "1"}).status_code == 400


def test_base_model_filter_answers_exactly_the_children(synthetic_hub: ReplayServer) -> None:
    hub = synthetic_hub.hub.scale  # type: ignore[attr-defined]
    source = hub.source
    root = source.model_id(0)
    expected_all = {source.model_id(i) for i in range(SMALL) if 0 in hub.catalog.columns.parents(i)}
    expected_adapters = {
        source.model_id(i) for i in range(SMALL) if f"base_model:adapter:{root}" in source.info(i)["tags"]
    }
    api = HfApi(endpoint=synthetic_hub.url)
    listed_all = [m.id for m in api.list_models(filter=f"base_model:{root}", limit=None)]
    listed_adapters = [m.id for m in api.list_models(filter=f"base_model:adapter:{root}", expand=["tags"])]
    assert len(expected_all) > 500
    assert sorted(listed_all) == sorted(expected_all)
    assert sorted(listed_adapters) == sorted(expected_adapters)


def test_author_and_search(synthetic_hub: ReplayServer) -> None:
    api = HfApi(endpoint=synthetic_hub.url)
    owned = [m.id for m in api.list_models(author="synthetic-quant3")]
    assert owned and all(i.startswith("synthetic-quant3/") for i in owned)
    found = [m.id for m in api.list_models(search="FLUX-dev-lora", limit=50)]
    assert found and all("flux-dev-lora" in i.lower() for i in found)


def test_same_seed_gives_the_same_hub_and_another_seed_another() -> None:
    def sample(seed: int) -> list[tuple[str, list[str], str | None]]:
        hub = build_scale_hub(ScaleSettings(models=3000, seed=seed))
        infos = [hub.source.info(i) for i in range(0, 3000, 97)]
        return [(i["id"], i["tags"], i.get("sha")) for i in infos]

    assert sample(3) == sample(3)
    assert sample(3) != sample(4)


def test_model_info_carries_lineage_and_licence_tags(synthetic_hub: ReplayServer) -> None:
    hub = synthetic_hub.hub.scale  # type: ignore[attr-defined]
    api = HfApi(endpoint=synthetic_hub.url)
    columns = hub.catalog.columns
    seen_other = seen_legacy = 0
    for index in range(200, SMALL, 37):
        parents = columns.parents(index)
        if not parents:
            continue
        info = api.model_info(hub.source.model_id(index))
        parent = hub.source.model_id(parents[0])
        assert f"base_model:{parent}" in info.tags
        relation = info.tags[info.tags.index(f"base_model:{parent}") + 1].split(":")[1]
        assert relation in ("finetune", "adapter", "quantized", "merge")
        card = info.card_data.to_dict() if info.card_data else {}
        licences = [t.split(":", 1)[1] for t in info.tags if t.startswith("license:")]
        assert licences == ([card["license"]] if "license" in card else [])
        if card.get("license") == "other":
            seen_other += 1
            assert card["license_name"] and card["license_link"]
        named = card.get("base_model")
        first = named[0] if isinstance(named, list) else named
        if first != parent:
            seen_legacy += 1
            assert api.model_info(first).id == parent  # the old name redirects to the current one
    assert seen_other and seen_legacy


def test_declared_cycles_exist(synthetic_hub: ReplayServer) -> None:
    health = httpx.get(f"{synthetic_hub.url}/_replay/health").json()
    assert health["kind"] == "synthetic" and "invented" in health["data"]
    assert len(health["cycles"]) == 3
    api = HfApi(endpoint=synthetic_hub.url)
    for cycle in health["cycles"]:
        for model_id, base in zip(cycle, cycle[1:] + cycle[:1], strict=True):
            assert f"base_model:{base}" in api.model_info(model_id).tags


def test_unknown_models_are_not_found(synthetic_hub: ReplayServer) -> None:
    for model_id in ("synthetic-user1/nope-12", "someone/else", f"synthetic-org0/FLUX-dev-{SMALL + 5}"):
        response = httpx.get(f"{synthetic_hub.url}/api/models/{model_id}")
        assert response.status_code == 404
        assert response.headers["X-Error-Code"] == "RepoNotFound"


def test_search_finds_rare_and_common_terms_in_listing_order(synthetic_hub: ReplayServer) -> None:
    hub = synthetic_hub.hub.scale  # type: ignore[attr-defined]
    wanted = hub.source.model_id(12_345)
    api = HfApi(endpoint=synthetic_hub.url)
    assert [m.id for m in api.list_models(search=wanted.split("/")[1].upper())] == [wanted]
    assert [m.id for m in api.list_models(search="no-such-name")] == []
    rare = [m.id for m in api.list_models(search="-1234", sort="lastModified", expand=["lastModified"])]
    expected = {hub.source.model_id(i) for i in range(SMALL) if "-1234" in hub.source.model_id(i)}
    assert sorted(rare) == sorted(expected) and len(rare) == len(set(rare))
    common = [m.id for m in api.list_models(search="synthetic", limit=2500)]
    assert len(common) == len(set(common)) == 2500
