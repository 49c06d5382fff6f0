"""A day of changes on the synthetic scale hub: seen first by lastModified, deleted ones gone, cursors stable."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from hubreplay.serve import ReplayServer
from tests.hubreplay.conftest import SMALL


def _changes(server: ReplayServer, models: int, seed: int) -> dict:
    response = httpx.post(f"{server.url}/_replay/changes", json={"models": models, "seed": seed})
    response.raise_for_status()
    return response.json()


def _last_modified(server: ReplayServer) -> dict[str, int]:
    hub = server.hub.scale  # type: ignore[attr-defined]
    columns = hub.catalog.columns
    return {hub.source.model_id(i): columns.modified[i] for i in range(len(columns)) if columns.is_live(i)}


def test_changes_come_first_in_the_last_modified_listing(changing_hub: ReplayServer) -> None:
    before = _last_modified(changing_hub)
    applied = _changes(changing_hub, 1000, seed=1)
    counts = applied["applied"]
    assert set(counts) == {"new", "changed", "relicensed", "rebased", "deleted"}
    assert sum(counts.values()) == 1000
    after = _last_modified(changing_hub)
    touched = {i for i, stamp in after.items() if before.get(i) != stamp}
    assert len(touched) == 1000 - counts["deleted"]
    api = HfApi(endpoint=changing_hub.url)
    top = [m for m in api.list_models(sort="lastModified", expand=["lastModified", "sha"], limit=len(touched))]
    assert {m.id for m in top} == touched
    assert min(m.last_modified for m in top) > max(
        m.last_modified for m in api.list_models(sort="lastModified", expand=["lastModified"], limit=len(touched) + 1)
        if m.id not in touched
    )
    for model_id in applied["examples"]["new"]:
        assert model_id not in before and api.model_info(model_id).id == model_id
    for model_id in applied["examples"]["deleted"]:
        with pytest.raises(RepositoryNotFoundError):
            api.model_info(model_id)
    listed = {m.id for m in api.list_models(sort="lastModified")}
    assert len(listed) == SMALL + counts["new"] - counts["deleted"]
    assert not listed & set(applied["examples"]["deleted"])


def test_changed_and_relicensed_models_get_a_new_sha(changing_hub: ReplayServer) -> None:
    api = HfApi(endpoint=changing_hub.url)
    hub = changing_hub.hub.scale  # type: ignore[attr-defined]
    old_shas = {hub.source.model_id(i): hub.source.sha(i) for i in range(SMALL)}
    old_licences = {m.id: m.tags for m in api.list_models(expand=["tags"])}
    applied = _changes(changing_hub, 300, seed=5)
    for kind in ("changed", "relicensed", "rebased"):
        for model_id in applied["examples"][kind]:
            info = api.model_info(model_id)
            assert info.sha is not None and info.sha != old_shas[model_id]
    for model_id in applied["examples"]["relicensed"]:
        info = api.model_info(model_id)
        card = info.card_data.to_dict() if info.card_data else {}
        licence_tags = [t for t in info.tags if t.startswith("license:")]
        assert licence_tags == [f"license:{card['license']}"]
        assert licence_tags != [t for t in old_licences[model_id] if t.startswith("license:")]


def test_same_seed_applies_the_same_day(changing_hub: ReplayServer) -> None:
    first = _changes(changing_hub, 50, seed=9)
    assert first["applied"]["new"] > 0
    # A fresh hub with the same seed would give the same examples; here the same hub moves on, so the
    # second day touches other models and still lands later than the first.
    second = _changes(changing_hub, 50, seed=9)
    assert second["lastModified"]["first"] > first["lastModified"]["last"]


def test_keyset_cursor_neither_skips_nor_repeats_unchanged_models(changing_hub: ReplayServer) -> None:
    before = _last_modified(changing_hub)
    url: str | None = f"{changing_hub.url}/api/models"
    params: dict[str, str] | None = {"sort": "lastModified", "limit": "1000", "expand": "lastModified"}
    seen: list[str] = []
    pages = 0
    while url:
        response = httpx.get(url, params=params)
        response.raise_for_status()
        seen.extend(item["id"] for item in response.json())
        url, params, pages = response.links.get("next", {}).get("url"), None, pages + 1
        if pages in (3, 11):
            _changes(changing_hub, 2000, seed=pages)
    after = _last_modified(changing_hub)
    unchanged = {i for i, stamp in before.items() if after.get(i) == stamp}
    assert len(seen) == len(set(seen))
    assert unchanged <= set(seen)
    assert len(unchanged) > SMALL - 3000


@pytest.mark.parametrize("sort", ["createdAt", "downloads", None])
def test_keyset_cursor_is_stable_in_other_orders(changing_hub: ReplayServer, sort: str | None) -> None:
    before = _last_modified(changing_hub)
    url: str | None = f"{changing_hub.url}/api/models"
    params: dict[str, str] | None = {"limit": "1000", **({"sort": sort} if sort else {})}
    seen: list[str] = []
    while url:
        response = httpx.get(url, params=params)
        seen.extend(item["id"] for item in response.json())
        url, params = response.links.get("next", {}).get("url"), None
        if len(seen) == 5000:
            _changes(changing_hub, 1000, seed=2)
    after = _last_modified(changing_hub)
    assert len(seen) == len(set(seen))
    assert {i for i, stamp in before.items() if after.get(i) == stamp} <= set(seen)


def test_changes_are_refused_without_a_scale_hub() -> None:
    from hubreplay.serve import serve_in_thread

    with serve_in_thread() as server:
        response = httpx.post(f"{server.url}/_replay/changes", json={"models": 10})
    assert response.status_code == 409


def test_keyset_cursor_is_stable_in_a_filtered_listing(changing_hub: ReplayServer) -> None:
    hub = changing_hub.hub.scale  # type: ignore[attr-defined]
    root = hub.source.model_id(0)
    before = {hub.source.model_id(i): hub.catalog.columns.modified[i] for i in hub.catalog.children(0, None)}
    url: str | None = f"{changing_hub.url}/api/models"
    params: dict[str, str] | None = {"filter": f"base_model:{root}", "sort": "lastModified", "limit": "100"}
    seen: list[str] = []
    while url:
        response = httpx.get(url, params=params)
        seen.extend(item["id"] for item in response.json())
        url, params = response.links.get("next", {}).get("url"), None
        if len(seen) == 300:
            _changes(changing_hub, 3000, seed=4)
    after = {hub.source.model_id(i): hub.catalog.columns.modified[i] for i in hub.catalog.children(0, None)}
    assert len(seen) == len(set(seen))
    assert {i for i, stamp in before.items() if after.get(i) == stamp} <= set(seen)
