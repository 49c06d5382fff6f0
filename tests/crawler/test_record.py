"""``record`` copies what a hub serves, through HfApi, into a snapshot that serves the same answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError
from pydantic import SecretStr
from typer.testing import CliRunner

from hubreplay.serve import ReplayServer, serve_in_thread
from hubreplay.snapshot import Snapshot, bundled_snapshot_path
from hubreplay.snapshot.record import RecordSettings, record_snapshot
from hubreplay.snapshot.serialize import model_payload
from hubreplay.snapshot.synthetic import SyntheticSpec, generate
from lineage.commands.hub import app as hub_app

TOKEN = "hf_recording_token_never_logged"


@pytest.fixture(scope="module")
def synthetic() -> Iterator[tuple[ReplayServer, Snapshot]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder), SyntheticSpec(models=150, seed=11))
        snapshot = Snapshot.load(folder)
        with serve_in_thread(snapshot, gated_tokens=[TOKEN]) as server:
            yield server, snapshot


def _answers(api: HfApi, repo_id: str, cache: Path) -> dict[str, object]:
    """Everything a crawler asks about one model, in comparable form."""
    info = api.model_info(repo_id, files_metadata=True)
    expanded = api.model_info(repo_id, expand=["inferenceProviderMapping", "childrenModelCount", "baseModels"])
    children = {
        rel: sorted(m.id for m in api.list_models(filter=f"base_model:{rel}:{repo_id}"))
        for rel in ("finetune", "adapter", "merge", "quantized")
    }
    readme = None
    if info.siblings and "README.md" in {s.rfilename for s in info.siblings} and not info.gated:
        readme = Path(
            hf_hub_download(repo_id, "README.md", endpoint=api.endpoint, cache_dir=cache, token=False)
        ).read_text()
    return {
        "info": model_payload(info),
        "expanded": model_payload(expanded),
        "children": children,
        "commits": [(c.commit_id, c.title, c.created_at) for c in api.list_repo_commits(repo_id)],
        "spaces": sorted(s.id for s in api.list_spaces(models=repo_id)),
        "readme": readme,
    }


def test_record_from_the_replay_hub_serves_the_same_answers(
    synthetic: tuple[ReplayServer, Snapshot], tmp_path: Path
) -> None:
    server, snapshot = synthetic
    root = "synthetic-org/Base-8B"
    leaf = next(
        e.id for e in reversed(list(snapshot.iter_models())) if any(t.startswith("base_model:") for t in e.tags)
    )
    renamed = snapshot.manifest.highlights["renamed"][0]["old"]
    orphan = "synthetic-orphan/orphan-of-deleted-0"
    settings = RecordSettings(endpoint=server.url, token=SecretStr(TOKEN), down=1, history=1, max_children=1000)
    _, report = record_snapshot([leaf, root, renamed, orphan], tmp_path / "copy", settings)
    copy = Snapshot.load(tmp_path / "copy")

    assert report.models == len(copy) >= 20
    assert copy.alias_target(renamed) == snapshot.alias_target(renamed)
    assert copy.is_deleted("synthetic-gone/deleted-parent-0")
    assert report.gated_files == 0 and copy.file(root, "README.md") is not None  # gated README read with the token

    original_api, cache = HfApi(endpoint=server.url, token=False), tmp_path / "cache"
    with serve_in_thread(copy) as replica:
        copy_api = HfApi(endpoint=replica.url, token=False)
        recorded_parents = [root, leaf, orphan]
        compared = recorded_parents + [m for m in copy.models if m not in recorded_parents][:10]
        readmes = 0
        for repo_id in compared:
            original = _answers(original_api, repo_id, cache / "a")
            replayed = _answers(copy_api, repo_id, cache / "b")
            if repo_id != root:
                original.pop("children"), replayed.pop("children")
                original["expanded"].pop("childrenModelCount", None)  # type: ignore[attr-defined]
                replayed["expanded"].pop("childrenModelCount", None)  # type: ignore[attr-defined]
            assert replayed == original, repo_id
            assert original["info"]["siblings"] and original["commits"], repo_id  # type: ignore[index]
            readmes += original["readme"] is not None
        assert readmes >= len(compared) - 1  # every non-gated model's card was compared
        children = _answers(copy_api, root, cache / "c")["children"]
        assert isinstance(children, dict) and sum(len(v) for v in children.values()) >= 10
        with pytest.raises(RepositoryNotFoundError):
            copy_api.model_info("synthetic-gone/deleted-parent-0")


def test_record_keeps_history_and_aliases_from_the_bundled_snapshot(tmp_path: Path) -> None:
    relicensed = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
    with serve_in_thread(Snapshot.load(bundled_snapshot_path())) as server:
        settings = RecordSettings(endpoint=server.url, history=1, up=False)
        record_snapshot([relicensed, "bert-base-uncased", "lineage-fixtures/deleted-base"], tmp_path, settings)
        original_old = HfApi(endpoint=server.url).list_repo_commits(relicensed)[-1].commit_id
    copy = Snapshot.load(tmp_path)
    assert copy.alias_target("bert-base-uncased") == "google-bert/bert-base-uncased"
    assert copy.model("google-bert/bert-base-uncased") is not None
    assert copy.is_deleted("lineage-fixtures/deleted-base")
    with serve_in_thread(copy) as replica:
        api = HfApi(endpoint=replica.url, token=False)
        assert api.model_info(relicensed, revision=original_old).card_data.license == "apache-2.0"  # type: ignore[union-attr]
        assert api.model_info(relicensed).card_data.license == "llama3.1"  # type: ignore[union-attr]


def test_token_is_passed_through_but_never_logged(synthetic: tuple[ReplayServer, Snapshot], tmp_path: Path) -> None:
    server, _ = synthetic
    settings = RecordSettings(endpoint=server.url, token=SecretStr(TOKEN), up=False)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    with structlog.testing.capture_logs() as logs:
        _, report = record_snapshot(["synthetic-org/Base-8B"], tmp_path, settings)
    assert report.files >= 1 and report.gated_files == 0  # gated root: its files needed the token
    assert TOKEN not in json.dumps(logs, default=str)
    assert TOKEN not in "".join(p.read_bytes().decode("latin-1") for p in tmp_path.iterdir() if p.is_file())


def test_record_without_token_marks_gated_files(
    synthetic: tuple[ReplayServer, Snapshot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = synthetic
    monkeypatch.delenv("HF_TOKEN", raising=False)
    _, report = record_snapshot(["synthetic-org/Base-8B"], tmp_path, RecordSettings(endpoint=server.url, up=False))
    assert report.models == 1 and report.gated_files == 1
    assert Snapshot.load(tmp_path).file("synthetic-org/Base-8B", "README.md") is None


def test_record_command(
    synthetic: tuple[ReplayServer, Snapshot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = synthetic
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = CliRunner().invoke(
        hub_app,
        ["record", "synthetic-org/Base-8B-Instruct", "--out", str(tmp_path), "--endpoint", server.url, "--no-up"],
    )
    assert result.exit_code == 0, result.output
    assert Snapshot.load(tmp_path).model("synthetic-org/Base-8B-Instruct") is not None
