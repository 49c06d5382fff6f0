"""Edits to a snapshot hub while it runs (``POST /_replay/changes``), read back through huggingface_hub's HfApi.

Each test gets a fresh server over one small synthetic family (edits live in the server's memory).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

from hubreplay.serve import ReplayServer, serve_in_thread
from hubreplay.snapshot.hubshape import split_card, with_base_model_tags, with_license_tags
from hubreplay.snapshot.store import Snapshot
from tests.support.crawl import family
from tests.support.stack import free_port

NEW_LICENSE = "cc-by-nc-4.0"
FIXTURE = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
REAL = "meta-llama/Llama-3.1-8B"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return family(tmp_path_factory.mktemp("edits-family") / "syn60", models=60, seed=5)


@pytest.fixture(scope="module")
def recorded(folder: Path) -> Snapshot:
    """The family as recorded (never edited: servers load their own copy)."""
    return Snapshot.load(folder)


@pytest.fixture
def hub(folder: Path) -> Iterator[ReplayServer]:
    with serve_in_thread(folder, port=free_port()) as server:
        yield server


@pytest.fixture
def api(hub: ReplayServer) -> HfApi:
    return HfApi(endpoint=hub.url, token=False)


def _post(hub: ReplayServer, *edits: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{hub.url}/_replay/changes", json={"edits": list(edits)}, timeout=30)


def _applied(hub: ReplayServer, *edits: dict[str, Any]) -> list[dict[str, Any]]:
    response = _post(hub, *edits)
    assert response.status_code == 200, response.text
    applied: list[dict[str, Any]] = response.json()["applied"]
    return applied


def _front_matter(path: str) -> tuple[dict[str, Any], str]:
    front, body = split_card(Path(path).read_text(encoding="utf-8"))
    assert front is not None
    return yaml.safe_load(front), body


def _open_model_with_children(snapshot: Snapshot) -> str:
    """An ungated model with a stored card, recorded commits and children, licensed otherwise than NEW_LICENSE."""
    for entry in snapshot.iter_models():
        if (
            entry.gated is False
            and snapshot.file(entry.id, "README.md") is not None
            and entry.id in snapshot.commits
            and snapshot.children(entry.id)
            and f"license:{NEW_LICENSE}" not in entry.tags
        ):
            return entry.id
    raise AssertionError("the family has no ungated parent with a card")


def _leaf_with_one_parent(snapshot: Snapshot) -> tuple[str, str]:
    for entry in snapshot.iter_models():
        parents = [t.split(":", 2)[2] for t in entry.tags if t.startswith("base_model:finetune:")]
        if len(parents) == 1 and not snapshot.children(entry.id) and snapshot.model(parents[0]) is not None:
            return entry.id, parents[0]
    raise AssertionError("the family has no finetune leaf")


def _children_count(api: HfApi, repo_id: str, relation: str) -> int:
    counts = api.model_info(repo_id, expand=["childrenModelCount"]).children_model_count
    assert isinstance(counts, dict)
    return int(counts[relation])


def test_relicense_is_a_new_head_with_the_new_card_tags_and_commit(
    hub: ReplayServer, api: HfApi, recorded: Snapshot, tmp_path: Path
) -> None:
    model = _open_model_with_children(recorded)
    before = api.model_info(model)
    old_license = before.card_data.license if before.card_data else None
    old_front, old_body = _front_matter(api.hf_hub_download(model, "README.md", cache_dir=tmp_path))

    [applied] = _applied(hub, {"op": "relicense", "id": model, "license": NEW_LICENSE})

    after = api.model_info(model)
    assert applied == {"op": "relicense", "id": model, "sha": after.sha, "lastModified": applied["lastModified"]}
    assert after.sha != before.sha and after.last_modified is not None and before.last_modified is not None
    assert after.last_modified > before.last_modified
    assert [t for t in after.tags or () if t.startswith("license:")] == [f"license:{NEW_LICENSE}"]
    assert [t for t in after.tags or () if t.startswith("base_model:")] == [
        t for t in before.tags or () if t.startswith("base_model:")
    ]
    assert after.card_data is not None and after.card_data.license == NEW_LICENSE
    front, body = _front_matter(api.hf_hub_download(model, "README.md", cache_dir=tmp_path))
    assert front == {**old_front, "license": NEW_LICENSE} and body == old_body
    assert next(iter(api.list_models(sort="last_modified", limit=1))).id == model
    commits = api.list_repo_commits(model)
    assert commits[0].commit_id == after.sha and commits[0].title == f"Update license to {NEW_LICENSE}"
    assert commits[0].created_at == after.last_modified
    assert commits[1].commit_id == before.sha
    # the old head stays answerable by its sha: a history-reading crawl sees old -> new
    old = api.model_info(model, revision=before.sha)
    assert old.card_data is not None and old.card_data.license == old_license
    old_card, _ = _front_matter(api.hf_hub_download(model, "README.md", revision=before.sha, cache_dir=tmp_path))
    assert old_card == old_front and old_card.get("license") == old_license


def test_an_added_derivative_is_listed_first_with_its_base_model_tags(
    hub: ReplayServer, api: HfApi, recorded: Snapshot
) -> None:
    parent = _open_model_with_children(recorded)
    children_before = _children_count(api, parent, "finetune")
    new = "synthetic-new/child-ft"

    [applied] = _applied(
        hub, {"op": "add", "id": new, "base_model": parent, "relation": "finetune", "license": "mit"}
    )

    info = api.model_info(new)
    assert info.sha == applied["sha"] and info.author == "synthetic-new"
    assert info.created_at == info.last_modified
    assert {f"base_model:{parent}", f"base_model:finetune:{parent}", "license:mit"} <= set(info.tags or ())
    assert info.card_data is not None and info.card_data.base_model == parent
    assert next(iter(api.list_models(sort="last_modified", limit=1))).id == new
    assert new in {m.id for m in api.list_models(filter=f"base_model:finetune:{parent}")}
    assert _children_count(api, parent, "finetune") == children_before + 1
    assert [c.commit_id for c in api.list_repo_commits(new)] == [info.sha]


def test_an_added_model_with_two_parents_and_no_relation_is_a_merge(
    hub: ReplayServer, api: HfApi, recorded: Snapshot
) -> None:
    first = _open_model_with_children(recorded)
    second = next(m for m in sorted(recorded.models) if m != first and recorded.model(m) is not None)
    _applied(hub, {"op": "add", "id": "synthetic-new/merged", "base_model": [first, second]})
    tags = api.model_info("synthetic-new/merged").tags or []
    assert f"base_model:merge:{first}" in tags and f"base_model:merge:{second}" in tags
    assert not [t for t in tags if t.startswith("license:")]


def test_a_deleted_model_answers_404_and_leaves_the_listing(
    hub: ReplayServer, api: HfApi, recorded: Snapshot
) -> None:
    leaf, parent = _leaf_with_one_parent(recorded)
    children_before = _children_count(api, parent, "finetune")

    [applied] = _applied(hub, {"op": "delete", "id": leaf})

    assert applied["sha"] is None and applied["id"] == leaf
    with pytest.raises(RepositoryNotFoundError):
        api.model_info(leaf)
    assert leaf not in {m.id for m in api.list_models()}
    assert leaf not in {m.id for m in api.list_models(filter=f"base_model:finetune:{parent}")}
    assert _children_count(api, parent, "finetune") == children_before - 1


def test_gating_needs_a_token_for_files_and_ungating_lifts_it(
    hub: ReplayServer, api: HfApi, recorded: Snapshot, tmp_path: Path
) -> None:
    model = _open_model_with_children(recorded)
    [gated] = _applied(hub, {"op": "gate", "id": model, "gated": "manual"})

    info = api.model_info(model)
    assert info.gated == "manual" and info.sha == gated["sha"]
    assert model in {m.id for m in api.list_models(gated=True)}
    with pytest.raises(GatedRepoError):
        api.hf_hub_download(model, "README.md", cache_dir=tmp_path)

    _applied(hub, {"op": "gate", "id": model, "gated": False})
    assert api.model_info(model).gated is False
    assert Path(api.hf_hub_download(model, "README.md", cache_dir=tmp_path)).read_text(encoding="utf-8")


def test_edits_of_one_request_see_the_earlier_ones_and_are_stamped_in_order(hub: ReplayServer, api: HfApi) -> None:
    new = "synthetic-new/short-lived"
    applied = _applied(
        hub,
        {"op": "add", "id": new, "license": "mit"},
        {"op": "relicense", "id": new, "license": "apache-2.0"},
        {"op": "delete", "id": new},
        {"op": "add", "id": new, "license": "other"},
    )
    assert [a["op"] for a in applied] == ["add", "relicense", "delete", "add"]
    stamps = [a["lastModified"] for a in applied]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert len({a["sha"] for a in applied}) == len(applied)
    info = api.model_info(new)
    assert info.sha == applied[-1]["sha"] and info.card_data is not None and info.card_data.license == "other"


def test_the_same_edits_give_the_same_shas_on_another_server(folder: Path, recorded: Snapshot) -> None:
    model = _open_model_with_children(recorded)
    edit = {"op": "relicense", "id": model, "license": NEW_LICENSE}
    shas = []
    for _ in range(2):
        with serve_in_thread(folder, port=free_port()) as server:
            shas.append([a["sha"] for a in _applied(server, edit)])
    assert shas[0] == shas[1]


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ({"op": "relicense", "id": "x/y"}, "edits.1.relicense.license"),
        ({"op": "rename", "id": "x/y"}, "edits.1"),
        ({"op": "gate", "id": "x/y", "gated": "yes"}, "edits.1.gate.gated"),
        ({"op": "add", "id": "no-namespace"}, "edits.1.add.id"),
        ({"op": "add", "id": "x/y", "relation": "finetune"}, "edits.1.add"),
        ({"op": "delete", "id": "x/y", "reason": "spam"}, "edits.1.delete.reason"),
    ],
)
def test_an_invalid_body_names_the_problem_and_applies_nothing(
    hub: ReplayServer, api: HfApi, recorded: Snapshot, edit: dict[str, Any], named: str
) -> None:
    model = _open_model_with_children(recorded)
    sha = api.model_info(model).sha
    response = _post(hub, {"op": "relicense", "id": model, "license": NEW_LICENSE}, edit)
    assert response.status_code == 422
    assert named in response.json()["error"]
    assert api.model_info(model).sha == sha


def test_unparsable_or_empty_bodies_are_refused(hub: ReplayServer) -> None:
    broken = httpx.post(f"{hub.url}/_replay/changes", content=b'{"edits": [', timeout=30)
    assert broken.status_code == 400 and "Invalid JSON" in broken.json()["error"]
    assert httpx.post(f"{hub.url}/_replay/changes", json={"edits": []}, timeout=30).status_code == 422


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"op": "delete", "id": "nobody/nothing"}, "no model nobody/nothing"),
        ({"op": "add", "id": "synthetic-new/orphan", "base_model": "nobody/nothing"}, "base model nobody/nothing"),
    ],
)
def test_an_edit_the_hub_refuses_is_409_and_applies_nothing(
    hub: ReplayServer, api: HfApi, recorded: Snapshot, edit: dict[str, Any], says: str
) -> None:
    model = _open_model_with_children(recorded)
    sha = api.model_info(model).sha
    response = _post(hub, {"op": "relicense", "id": model, "license": NEW_LICENSE}, edit)
    assert response.status_code == 409
    assert response.json()["edit"] == 1 and says in response.json()["error"]
    assert api.model_info(model).sha == sha


def test_adding_an_existing_id_is_refused(hub: ReplayServer, recorded: Snapshot) -> None:
    model = _open_model_with_children(recorded)
    response = _post(hub, {"op": "add", "id": model.upper()})
    assert response.status_code == 409 and "already exists" in response.json()["error"]


def test_a_recorded_snapshot_refuses_edits_of_real_models_and_takes_fixtures(tmp_path: Path) -> None:
    with serve_in_thread(port=free_port()) as bundled:
        api = HfApi(endpoint=bundled.url, token=False)
        real_sha = api.model_info(REAL).sha
        refused = _post(
            bundled,
            {"op": "relicense", "id": FIXTURE, "license": "mit"},
            {"op": "relicense", "id": REAL, "license": "mit"},
        )
        assert refused.status_code == 409
        message = refused.json()["error"]
        assert "https://huggingface.co" in message and "invented fact" in message and "lineage-fixtures/" in message
        assert api.model_info(REAL).sha == real_sha
        assert api.model_info(FIXTURE).card_data.license == "llama3.1"  # type: ignore[union-attr]
        assert _post(bundled, {"op": "add", "id": "meta-llama/Llama-9", "base_model": REAL}).status_code == 409

        _applied(
            bundled,
            {"op": "add", "id": "lineage-fixtures/x", "base_model": REAL, "license": "mit"},
            {"op": "relicense", "id": FIXTURE, "license": "mit"},
        )
        assert f"base_model:finetune:{REAL}" in (api.model_info("lineage-fixtures/x").tags or [])
        assert api.model_info(FIXTURE).card_data.license == "mit"  # type: ignore[union-attr]
        # the fixture's recorded history stays below the new head
        titles = [c.title for c in api.list_repo_commits(FIXTURE)]
        assert titles[0] == "Update license to mit" and len(titles) == 3


def test_derived_tags_are_replaced_where_they_stood() -> None:
    tags = ["transformers", "base_model:a/b", "base_model:finetune:a/b", "license:mit", "en", "region:us"]
    assert with_license_tags(tags, "apache-2.0") == [
        "transformers", "base_model:a/b", "base_model:finetune:a/b", "license:apache-2.0", "en", "region:us"
    ]
    assert with_base_model_tags(tags, ["c/d"], "adapter") == [
        "transformers", "base_model:c/d", "base_model:adapter:c/d", "license:mit", "en", "region:us"
    ]
    assert with_license_tags(["transformers", "region:us"], ["mit", "other"]) == [
        "transformers", "license:mit", "license:other", "region:us"
    ]


def test_renamed_repos_are_named_by_their_current_id(hub: ReplayServer, api: HfApi, recorded: Snapshot) -> None:
    old, new = next(iter(recorded.aliases.items()))
    refused = _post(hub, {"op": "relicense", "id": old, "license": "mit"})
    assert refused.status_code == 409 and f"renamed to {new}" in refused.json()["error"]
    assert _post(hub, {"op": "add", "id": old}).status_code == 409

    _applied(hub, {"op": "add", "id": "synthetic-new/of-old-name", "base_model": old})
    info = api.model_info("synthetic-new/of-old-name")
    assert info.card_data is not None and info.card_data.base_model == old  # the card as written
    assert f"base_model:finetune:{new}" in (info.tags or [])  # the Hub's tag: the current id
