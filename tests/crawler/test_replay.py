"""The replay hub answers huggingface_hub's real client (HfApi over HTTP) the way the Hub does.

Most tests run against the bundled real snapshot; values asserted literally (shas, licences,
gated states, commit ids) are facts of the recorded Hub answers, not of the implementation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    BadRequestError,
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from hubreplay.serve import ReplayServer, serve_in_thread
from hubreplay.snapshot import Snapshot
from hubreplay.snapshot.hubshape import split_card
from hubreplay.snapshot.synthetic import SyntheticSpec, generate

GRANTED = "hf_test_granted_token"
LLAMA_INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
MISTRAL_BASE = "mistralai/Mistral-Small-24B-Base-2501"
RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"


@pytest.fixture(scope="module")
def hub(bundled: Snapshot) -> Iterator[ReplayServer]:
    with serve_in_thread(bundled, gated_tokens=[GRANTED]) as server:
        yield server


@pytest.fixture()
def api(hub: ReplayServer) -> HfApi:
    hub.stats.reset()
    return HfApi(endpoint=hub.url, token=False)


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    generate(folder, SyntheticSpec(models=250, seed=3))
    return folder


def test_model_info_serves_the_recorded_payload(api: HfApi) -> None:
    info = api.model_info(LLAMA_INSTRUCT)
    assert info.sha == "0e9e39f249a16976918f6564b8830bc894c89659"
    assert info.gated == "manual"
    assert info.card_data is not None and info.card_data.license == "llama3.1"
    # the card uses the old name; the Hub-computed tag the current one
    assert info.card_data.base_model == "meta-llama/Meta-Llama-3.1-8B"
    assert "base_model:finetune:meta-llama/Llama-3.1-8B" in (info.tags or [])
    assert info.siblings is not None and "README.md" in {s.rfilename for s in info.siblings}
    assert all(s.lfs is None and s.size is None for s in info.siblings)  # no blobs=true
    assert info.inference_provider_mapping is None  # only with expand


def test_expand_returns_only_the_requested_keys(api: HfApi) -> None:
    info = api.model_info(LLAMA_INSTRUCT, expand=["inferenceProviderMapping"])
    assert info.inference_provider_mapping and all(
        m.hf_model_id == LLAMA_INSTRUCT for m in info.inference_provider_mapping
    )
    assert info.sha is None and info.downloads is None and info.card_data is None and info.tags is None
    counts = api.model_info(MISTRAL_BASE, expand=["childrenModelCount", "author"])
    children = list(api.list_models(filter=f"base_model:finetune:{MISTRAL_BASE}"))
    assert counts.author == "mistralai"
    per_relation: object = counts.children_model_count  # the Hub sends a dict per relation
    assert isinstance(per_relation, dict) and per_relation["finetune"] == len(children) > 20


def test_base_models_expand_follows_the_tags(api: HfApi) -> None:
    info = api.model_info("HuggingFaceH4/zephyr-7b-beta", expand=["baseModels"])
    base_models: object = info.base_models  # the Hub sends {"relation", "models"}
    assert base_models == {"relation": "finetune", "models": [{"id": "mistralai/Mistral-7B-v0.1"}]}


def test_unknown_or_refused_expand_is_a_400(api: HfApi) -> None:
    with pytest.raises(BadRequestError):
        api.model_info(LLAMA_INSTRUCT, expand=["notAProperty"])  # type: ignore[list-item]
    with pytest.raises(BadRequestError):
        list(api.list_models(filter="license:mit", expand=["childrenModelCount"]))


def test_list_models_filters_by_base_model_tag_with_expand(api: HfApi, bundled: Snapshot) -> None:
    models = list(api.list_models(filter=f"base_model:finetune:{MISTRAL_BASE}", expand=["cardData", "gated"]))
    ids = {m.id for m in models}
    assert "mistralai/Mistral-Small-24B-Instruct-2501" in ids
    for model in models:
        entry = bundled.model(model.id)
        assert entry is not None and f"base_model:finetune:{MISTRAL_BASE}" in entry.tags
        assert model.downloads is None and model.tags is None  # not requested
    assert any(m.card_data is not None for m in models)


def test_list_models_search_author_sort_and_limit(api: HfApi) -> None:
    by_author = list(api.list_models(author="mistralai", search="Small"))
    assert by_author and all(m.id.startswith("mistralai/") and "small" in m.id.lower() for m in by_author)
    top = list(api.list_models(filter="license:apache-2.0", sort="likes", limit=5))
    likes = [m.likes for m in top]
    assert len(top) == 5 and likes == sorted(likes, reverse=True)  # type: ignore[type-var]
    default = list(api.list_models(search="zephyr-7b-beta"))
    assert default[0].tags and default[0].card_data is None and default[0].siblings is None


def test_parameter_count_and_provider_filters(api: HfApi) -> None:
    big = {m.id for m in api.list_models(num_parameters="min:6B,max:9B")}
    assert LLAMA_INSTRUCT in big and "google-bert/bert-base-uncased" not in big
    served = {m.id for m in api.list_models(inference_provider="all", expand=["inferenceProviderMapping"])}
    assert {"black-forest-labs/FLUX.1-dev", LLAMA_INSTRUCT} <= served


def test_legacy_ids_without_a_namespace(api: HfApi, hub: ReplayServer, tmp_path: Path) -> None:
    assert api.model_info("gpt2").sha == "607a30d783dfa663caf39e06633721c8d4cfcd7e"
    assert api.model_info("gpt2", revision="main").id == "gpt2"
    assert api.list_repo_commits("gpt2")[0].commit_id == "607a30d783dfa663caf39e06633721c8d4cfcd7e"
    readme = hf_hub_download("gpt2", "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert "license: mit" in Path(readme).read_text(encoding="utf-8")


def test_list_models_follows_link_pagination(bundled: Snapshot) -> None:
    expected = {e.id for e in bundled.iter_models() if "license:apache-2.0" in e.tags}
    with serve_in_thread(bundled, max_page_size=100) as small_pages:
        listed = [m.id for m in HfApi(endpoint=small_pages.url, token=False).list_models(filter="license:apache-2.0")]
        requests = small_pages.stats.snapshot()["by_route"]["models.list"]
    assert len(listed) == len(set(listed)) and set(listed) == expected
    assert requests == math.ceil(len(expected) / 100) > 1


def test_link_header_carries_the_query_and_a_cursor(hub: ReplayServer) -> None:
    response = httpx.get(f"{hub.url}/api/models", params={"filter": "license:mit", "limit": 3})
    assert response.status_code == 200 and len(response.json()) == 3
    assert response.links["next"]["url"].startswith(f"{hub.url}/api/models?")
    assert "filter=license%3Amit" in response.links["next"]["url"] and "cursor=" in response.links["next"]["url"]


def test_files_metadata_gives_lfs_sha256_and_sizes(synthetic_dir: Path) -> None:
    with serve_in_thread(synthetic_dir) as server:
        api = HfApi(endpoint=server.url, token=False)
        plain = api.model_info("synthetic-org/Base-8B-Instruct")
        detailed = api.model_info("synthetic-org/Base-8B-Instruct", files_metadata=True)
    assert plain.siblings and all(s.size is None for s in plain.siblings)
    assert detailed.siblings and all(s.size is not None for s in detailed.siblings)
    lfs = [s for s in detailed.siblings if s.lfs is not None]
    assert lfs and all(len(s.lfs.sha256) == 64 and s.lfs.size == s.size for s in lfs if s.lfs)


def test_hf_hub_download_of_a_readme(hub: ReplayServer, tmp_path: Path) -> None:
    path = Path(
        hf_hub_download("HuggingFaceH4/zephyr-7b-beta", "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    )
    front, _ = split_card(path.read_text(encoding="utf-8"))
    assert front is not None
    card = yaml.safe_load(front)
    assert card["license"] == "mit" and card["base_model"] == "mistralai/Mistral-7B-v0.1"
    assert path.parent.name == "892b3d7a7b1cf10c7a701c60881cd93df615734c"  # X-Repo-Commit = recorded sha


def test_resolve_headers_match_what_the_client_needs(hub: ReplayServer) -> None:
    head = httpx.head(f"{hub.url}/HuggingFaceH4/zephyr-7b-beta/resolve/main/README.md")
    get = httpx.get(f"{hub.url}/HuggingFaceH4/zephyr-7b-beta/resolve/main/README.md")
    assert head.status_code == 200 and head.headers["X-Repo-Commit"] == "892b3d7a7b1cf10c7a701c60881cd93df615734c"
    assert head.headers["ETag"] == get.headers["ETag"] and int(head.headers["Content-Length"]) == len(get.content)


def test_missing_file_is_entry_not_found(hub: ReplayServer, tmp_path: Path) -> None:
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(
            "HuggingFaceH4/zephyr-7b-beta", "no-such-file.txt", endpoint=hub.url, cache_dir=tmp_path, token=False
        )


def test_list_repo_commits(api: HfApi) -> None:
    commits = api.list_repo_commits("openai-community/gpt2")
    assert [c.commit_id for c in commits][:2] == [
        "607a30d783dfa663caf39e06633721c8d4cfcd7e",
        "11c5a3d5811f50298f278a704980280950aedb10",
    ]
    assert commits[0].authors == ["lysandre"] and commits[-1].authors == ["sgugger", "mathemakitten"]


def test_list_spaces_by_model(api: HfApi) -> None:
    info = api.model_info(LLAMA_INSTRUCT)
    spaces = {s.id for s in api.list_spaces(models=LLAMA_INSTRUCT)}
    assert "KingNish/OpenGPT-4o" in spaces and spaces == set(info.spaces or [])
    assert api.space_info("KingNish/OpenGPT-4o").id == "KingNish/OpenGPT-4o"


def test_renamed_repo_answers_307_and_the_client_follows(api: HfApi, hub: ReplayServer) -> None:
    assert api.model_info("bert-base-uncased").id == "google-bert/bert-base-uncased"
    assert api.model_info("meta-llama/Meta-Llama-3.1-8B").id == "meta-llama/Llama-3.1-8B"
    raw = httpx.get(f"{hub.url}/api/models/bert-base-uncased", follow_redirects=False)
    assert raw.status_code == 307 and raw.headers["Location"] == "/api/models/google-bert/bert-base-uncased"
    assert raw.text == "Temporary Redirect. Redirecting to /api/models/google-bert/bert-base-uncased"
    assert hub.stats.snapshot()["by_route_status"]["models.info"]["307"] == 3


def test_deleted_and_unknown_repos_are_repository_not_found(api: HfApi, hub: ReplayServer) -> None:
    for repo_id in ("lineage-fixtures/deleted-base", "nobody/never-existed"):
        with pytest.raises(RepositoryNotFoundError):
            api.model_info(repo_id)
    raw = httpx.get(f"{hub.url}/api/models/lineage-fixtures/deleted-base")
    assert raw.status_code == 404 and raw.headers["X-Error-Code"] == "RepoNotFound"


def test_gated_repo_files_need_a_granted_token(hub: ReplayServer, tmp_path: Path) -> None:
    with pytest.raises(GatedRepoError) as anonymous:
        hf_hub_download(LLAMA_INSTRUCT, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as refused:
        hf_hub_download(LLAMA_INSTRUCT, "README.md", endpoint=hub.url, cache_dir=tmp_path, token="hf_not_granted")
    assert refused.value.response.status_code == 403
    path = hf_hub_download(LLAMA_INSTRUCT, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=GRANTED)
    assert "llama3.1" in Path(path).read_text(encoding="utf-8")


def test_revisions_serve_the_state_at_that_commit(api: HfApi, hub: ReplayServer, tmp_path: Path) -> None:
    commits = api.list_repo_commits(RELICENSED)
    old, new = commits[-1].commit_id, commits[0].commit_id
    assert api.model_info(RELICENSED, revision=old).card_data.license == "apache-2.0"  # type: ignore[union-attr]
    assert api.model_info(RELICENSED, revision=new).card_data.license == "llama3.1"  # type: ignore[union-attr]
    assert "license:apache-2.0" in (api.model_info(RELICENSED, revision=old).tags or [])
    readme = hf_hub_download(RELICENSED, "README.md", revision=old, endpoint=hub.url, cache_dir=tmp_path, token=False)
    assert "license: apache-2.0" in Path(readme).read_text(encoding="utf-8")
    assert [c.commit_id for c in api.list_repo_commits(RELICENSED, revision=old)] == [old]
    with pytest.raises(RevisionNotFoundError):
        api.model_info(RELICENSED, revision="0" * 40)


def test_request_counters_count_hub_requests_and_reset(api: HfApi, hub: ReplayServer) -> None:
    api.model_info(LLAMA_INSTRUCT)
    list(api.list_models(filter="license:llama3.1", limit=3))
    stats = httpx.get(f"{hub.url}/_replay/stats").json()
    assert stats["total"] == 2 and stats["by_route"] == {"models.info": 1, "models.list": 1}
    httpx.post(f"{hub.url}/_replay/stats/reset")
    assert httpx.get(f"{hub.url}/_replay/stats").json()["total"] == 0


def test_provenance_is_served_apart_and_never_in_hub_answers(hub: ReplayServer) -> None:
    answer = httpx.get(f"{hub.url}/api/models/0-hero/Matter-0.2-7B-DPO").json()
    assert not {"sources", "provenance", "source_url", "confidence"} & set(answer)
    provenance = httpx.get(f"{hub.url}/_replay/provenance/0-hero/Matter-0.2-7B-DPO").json()
    assert provenance["sources"][0]["confidence"] == "leaderboard_snapshot"
    assert provenance["sources"][0]["source_url"].startswith("https://github.com/")
