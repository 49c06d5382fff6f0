"""The snapshot format: writer/loader, the bundled real snapshot, synthetic families."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path

import pytest

from hubreplay.snapshot import (
    Snapshot,
    SnapshotFormatError,
    SnapshotNotFoundError,
    SnapshotWriter,
    bundled_snapshot_path,
)
from hubreplay.snapshot.hubshape import hub_relation, render_card, split_card
from hubreplay.snapshot.synthetic import SyntheticSpec, generate

FAMILIES = {
    "llama-2": r"^meta-llama/Llama-2-",
    "llama-3": r"^meta-llama/Meta-Llama-3-",
    "llama-3.1": r"^meta-llama/(Meta-)?Llama-3\.1-",
    "mistral": r"^mistralai/",
    "gemma": r"^google/gemma-",
    "qwen": r"^Qwen/",
    "phi": r"^microsoft/(phi|Phi)-",
    "deepseek": r"^deepseek-ai/",
    "sdxl": r"^stabilityai/stable-diffusion-xl-",
    "flux": r"^black-forest-labs/FLUX\.",
}


def _parents(snapshot: Snapshot, repo_id: str) -> set[str]:
    entry = snapshot.model(repo_id)
    assert entry is not None
    return {t.split(":", 2)[2] for t in entry.tags if t.startswith("base_model:") and t.count(":") >= 2}


# -- bundled real snapshot ------------------------------------------------------------------------


def test_bundled_snapshot_is_large_real_and_small_on_disk(bundled: Snapshot) -> None:
    assert len(bundled) >= 2000
    assert bundled.manifest.provenance["kind"] == "recorded"
    assert sum(p.stat().st_size for p in bundled_snapshot_path().iterdir()) < 5_000_000


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_bundled_snapshot_has_the_named_families(bundled: Snapshot, family: str) -> None:
    members = [e.id for e in bundled.iter_models() if re.match(FAMILIES[family], e.id)]
    assert members, family


def test_families_have_declared_children(bundled: Snapshot) -> None:
    for root in (
        "mistralai/Mistral-Small-24B-Base-2501",
        "meta-llama/Meta-Llama-3-8B",
        "google/gemma-2-9b-it",
        "microsoft/phi-2",
    ):
        assert bundled.children(root), root
    assert "nerijs/pixel-art-xl" in bundled.children("stabilityai/stable-diffusion-xl-base-1.0", "adapter")
    assert "openfree/flux-chatgpt-ghibli-lora" in bundled.children("black-forest-labs/FLUX.1-dev", "adapter")


def test_license_drift_cases_are_served_with_both_licences(bundled: Snapshot) -> None:
    drift = bundled.manifest.highlights["license_drift"]
    direct = [e for e in drift if e["kind"] == "direct_parent" and e["declared_to_hub"]]
    assert len(direct) >= 25
    for edge in direct:
        child, parent = bundled.model(edge["child"]), bundled.model(edge["parent"])
        assert child is not None and parent is not None
        assert f"license:{edge['child_license']}" in child.tags
        assert edge["parent"] in _parents(bundled, edge["child"])
        assert f"license:{edge['child_license']}" not in parent.tags


def test_every_record_keeps_its_provenance_outside_the_payload(bundled: Snapshot) -> None:
    for entry in bundled.iter_models():
        info = entry.info()
        assert not {"sources", "provenance", "source_url", "confidence"} & set(info)
        provenance = bundled.provenance(entry.id)
        assert provenance and provenance["sources"], entry.id


def test_leaderboard_root_ancestors_are_not_made_parents(bundled: Snapshot) -> None:
    checked = 0
    for entry in bundled.iter_models():
        sources = (bundled.provenance(entry.id) or {}).get("sources", [])
        if len(sources) == 1 and sources[0].get("olb_generation", 0) >= 2:
            assert not _parents(bundled, entry.id), entry.id
            checked += 1
    assert checked > 100


def test_unrecorded_values_are_absent(bundled: Snapshot) -> None:
    # the leaderboard has no download counts and no cards: leaderboard-only records have neither
    for entry in bundled.iter_models():
        sources = (bundled.provenance(entry.id) or {}).get("sources", [])
        if [s.get("confidence") for s in sources] == ["leaderboard_snapshot"]:
            info = entry.info()
            assert "downloads" not in info and "cardData" not in info and "siblings" not in info


def test_renames_resolve_in_tags_but_not_in_cards(bundled: Snapshot) -> None:
    assert bundled.alias_target("meta-llama/Meta-Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"
    assert bundled.model("meta-llama/Meta-Llama-3.1-8B") is None
    assert "meta-llama/Llama-3.1-8B" in _parents(bundled, "NousResearch/Hermes-3-Llama-3.1-8B")


def test_the_constructed_history_is_declared_as_such(bundled: Snapshot) -> None:
    history = bundled.manifest.highlights["history"]
    assert history["constructed"] is True
    licences = [r["license"] for r in history["revisions"]]
    old = bundled.revision_info(history["id"], history["revisions"][0]["sha"])
    assert licences == ["apache-2.0", "llama3.1"] and old is not None
    assert old["cardData"]["license"] == "apache-2.0"
    assert any("constructed" in note for note in bundled.manifest.notes)


# -- writer and loader ----------------------------------------------------------------------------


def _write_small(folder: Path, *, compress: bool) -> None:
    with SnapshotWriter(folder, name="t", provenance={"kind": "test"}, compress=compress) as writer:
        writer.add_model({"id": "org/base", "tags": ["license:mit"]})
        writer.add_model(
            {"id": "org/child", "tags": ["base_model:adapter:org/base"], "pipeline_tag": "text-generation"}
        )
        writer.add_file("org/child", "README.md", "---\nbase_model: org/base\n---\n")
        writer.add_file("org/child", "weights.bin", b"\x00\x01")
        writer.add_alias("org/old", "org/base", "test")
        writer.add_deleted("org/gone", "test")


@pytest.mark.parametrize("compress", [True, False])
def test_writer_and_loader_round_trip(tmp_path: Path, compress: bool) -> None:
    _write_small(tmp_path, compress=compress)
    snapshot = Snapshot.load(tmp_path)
    assert snapshot.manifest.counts["models"] == 2 and len(snapshot) == 2
    assert snapshot.children("org/base") == ["org/child"] and snapshot.children("org/base", "finetune") == []
    assert snapshot.children_counts("org/base")["adapter"] == 1
    assert snapshot.ids_matching("text-generation") == ["org/child"]
    assert snapshot.model("ORG/Child") is not None  # ids are case-insensitive
    assert snapshot.file("org/child", "weights.bin").content == b"\x00\x01"  # type: ignore[union-attr]
    assert snapshot.alias_target("org/old") == "org/base" and snapshot.is_deleted("org/gone")


def test_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(SnapshotNotFoundError):
        Snapshot.load(tmp_path / "missing")
    _write_small(tmp_path, compress=False)
    (tmp_path / "models.jsonl").write_text('{"id": "a"}\n{not json\n')
    with pytest.raises(SnapshotFormatError):
        Snapshot.load(tmp_path)
    (tmp_path / "models.jsonl").write_text('{"id": "a"}\n{"id": "a"}\n')
    with pytest.raises(SnapshotFormatError):
        Snapshot.load(tmp_path)
    with pytest.raises(SnapshotFormatError), SnapshotWriter(tmp_path / "dup", name="d", provenance={}) as writer:
        writer.add_model({"id": "x"})
        writer.add_model({"id": "x"})


def test_card_rendering_round_trip() -> None:
    text = render_card({"license": "mit", "base_model": ["a/b", "c/d"]}, "Original model: a/b")
    front, body = split_card(text)
    assert front is not None and "- a/b" in front and body.strip() == "Original model: a/b"
    assert split_card("no front matter") == (None, "no front matter")


def test_hub_relation_inference() -> None:
    assert hub_relation(declared="quantized", parents=["a/b"]) == "quantized"
    assert hub_relation(declared=None, parents=["a/b"], file_names=["adapter_config.json"]) == "adapter"
    assert hub_relation(declared=None, parents=["a/b"], file_names=["m.Q4_K_M.gguf"]) == "quantized"
    assert hub_relation(declared=None, parents=["a/b", "c/d"]) == "merge"
    assert hub_relation(declared=None, parents=["a/b"]) == "finetune"


# -- synthetic families ---------------------------------------------------------------------------


def test_synthetic_family_is_reproducible_and_hub_shaped(tmp_path: Path) -> None:
    spec = SyntheticSpec(models=1500, seed=4)
    generate(tmp_path / "a", spec)
    generate(tmp_path / "b", spec)
    for part in ("models.jsonl.gz", "files.jsonl.gz", "commits.jsonl.gz"):
        assert (tmp_path / "a" / part).read_bytes() == (tmp_path / "b" / part).read_bytes()
    snapshot = Snapshot.load(tmp_path / "a")
    assert len(snapshot) == 1500
    relations = {
        t.split(":")[1]
        for e in snapshot.iter_models()
        for t in e.tags
        if t.startswith("base_model:") and t.count(":") >= 2
    }
    assert relations == {"finetune", "adapter", "merge", "quantized"}
    fanout = sorted((len(snapshot.children(e.id)) for e in snapshot.iter_models()), reverse=True)
    assert fanout[0] >= 100 and fanout[len(fanout) // 2] == 0  # a few hubs, a long tail of leaves
    merges = [e for e in snapshot.iter_models() if any(t.startswith("base_model:merge:") for t in e.tags)]
    assert merges and all(len(_parents(snapshot, e.id)) >= 2 for e in merges)
    for repo_id in snapshot.manifest.highlights["relicensed"]:
        (old_sha,) = snapshot.revision_shas(repo_id)
        old, new = snapshot.revision_info(repo_id, old_sha), snapshot.model(repo_id)
        assert old is not None and new is not None
        assert old["cardData"].get("license") != new.info()["cardData"].get("license")


def test_synthetic_undeclared_lineage_lives_in_files(tmp_path: Path) -> None:
    generate(tmp_path, SyntheticSpec(models=800, seed=9, undeclared_share=0.2))
    snapshot = Snapshot.load(tmp_path)
    found = 0
    for entry in snapshot.iter_models():
        info = entry.info()
        has_base_tag = any(t.startswith("base_model:") for t in entry.tags)
        if entry.id == "synthetic-org/Base-8B" or has_base_tag:
            continue
        adapter = snapshot.file(entry.id, "adapter_config.json")
        config = snapshot.file(entry.id, "config.json")
        readme = snapshot.file(entry.id, "README.md")
        evidence = [f for f in (adapter, config, readme) if f is not None]
        assert evidence, entry.id
        assert "base_model" not in (info.get("cardData") or {})
        found += 1
    assert found > 50


@pytest.mark.slow
def test_ten_thousand_synthetic_models_load_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    generate(tmp_path, SyntheticSpec(models=10_000))
    generated = time.monotonic() - started
    started = time.monotonic()
    snapshot = Snapshot.load(tmp_path)
    loaded = time.monotonic() - started
    assert len(snapshot) == 10_000
    assert loaded < 10 and generated < 60
    with gzip.open(tmp_path / "models.jsonl.gz", "rt") as handle:
        first = json.loads(handle.readline())
    assert first["gated"] == "manual" and first["id"] == "synthetic-org/Base-8B"
