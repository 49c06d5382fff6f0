"""Build the bundled real-data snapshot (``hubreplay/snapshot/data/bundled``) from the hub-data fixtures.

Usage::

    .venv/bin/python scripts/build_snapshot.py [--source /work/shared/hub-data] [--out hubreplay/snapshot/data/bundled]

Rules (also written into the manifest):

* Recorded ``GET /api/models/{id}`` bodies are kept verbatim; ``?expand=inferenceProviderMapping``
  bodies add their mapping to the same record.
* Crawl rows serialised from ``HfApi.model_info`` (Mistral-Small-24B tree, phi-2) keep their real
  Hub tags, sha, dates, downloads, likes, gated state; ``cardData`` holds only the card keys seen.
* Card rows keep the card keys seen (``cardData``) and quoted card text (``README.md`` body).
* Leaderboard rows give likes, licence, creation *day*, the evaluated sha (full-weight submissions
  only) and architecture; they have no ``cardData`` (the card was not read).
* Hub-computed tags are derived exactly as the Hub computes them: ``license:<id>`` from the
  recorded licence, ``base_model:<id>`` + ``base_model:<relation>:<id>`` from a base model the card
  or Hub tags declared (never from card text, links or secondary pages), with the repo's current id
  (renames resolved), relation from the Hub's inference rule (adapter files → adapter, quantized
  weights → quantized, several bases → merge, else finetune).
* A leaderboard ``Base Model`` of generation ≥ 2 is a root ancestor, not a parent: kept in provenance only.
* Nothing else is filled in: values not recorded are absent.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hubreplay.snapshot.format import hub_datetime  # noqa: E402
from hubreplay.snapshot.hubshape import base_model_tags, license_tags, merge_tags, render_card  # noqa: E402
from hubreplay.snapshot.writer import SnapshotWriter  # noqa: E402

OLB_FILE = "lineage_open_llm_leaderboard_2024-12-08.jsonl"
MISTRAL_FILE = "lineage_mistral_small_24b_tree_2025-04-05.jsonl"
MISC_FILE = "lineage_misc_observed.jsonl"
COMBINED_FILE = "lineage_combined.jsonl"

# Misc confidences whose base model is declared where the Hub reads it (card YAML or Hub tags).
DECLARING = {
    "api_recording", "api_via_crawl", "quoted_api_response", "third_party_fixture", "test_fixture",
    "crawl_edge_only", "model_card_front_matter",
}  # fmt: skip
# Card-front-matter rows whose basis says the base model was NOT a front-matter key.
NOT_DECLARED_MARKERS = ("no base_model key", "card text only", "without base_model", "parent named in text")
# Rows whose `secondary` source summarises the card's own metadata (declared on the card).
SECONDARY_CARD_SUMMARY = {"nerijs/pixel-art-xl"}
FAMILY_PATTERNS = {
    "llama-2": r"^meta-llama/Llama-2-",
    "llama-3": r"^meta-llama/Meta-Llama-3-",
    "llama-3.1": r"^meta-llama/(Meta-)?Llama-3\.1-",
    "mistral": r"^mistralai/(Mistral|Mixtral)-",
    "gemma": r"^google/gemma-",
    "qwen": r"^Qwen/Qwen",
    "phi": r"^microsoft/(phi|Phi)-",
    "deepseek": r"^deepseek-ai/",
    "sdxl": r"^stabilityai/stable-diffusion-xl-",
    "flux": r"^black-forest-labs/FLUX\.",
}
FIXTURE_NS = "lineage-fixtures"


INPUTS = {
    OLB_FILE: "Open LLM Leaderboard v2 contents, snapshot 2024-12-08 (https://github.com/mlynckat/InfVis_HS24/blob/"
    "e2e94a8bef893338620799ff95795dd99f403d5b/data/open_llm_leaderboard_2024_12_08.csv)",
    MISTRAL_FILE: "HfApi.model_info crawl of mistralai/Mistral-Small-24B-Base-2501 finetunes, 2025-04-05 "
    "(https://github.com/hamidahoderinwale/model_metadata_analyses/blob/6113c0e21f604920c64cf281a7254eba3b3924f8/"
    "ben-scripts/Mistral-Small-24B-Base-2501_finetunes_20250405_001816.csv)",
    MISC_FILE: "hand-collected rows: huggingface_hub test cassettes (Apache-2.0), card front matter from stored public "
    "pages, MergeUI test graph, huggingface.js fixture, phi-2 crawl; each row's source_url and confidence kept per "
    "record",
    "api_examples/": "raw recorded /api/models bodies from huggingface_hub test cassettes (Apache-2.0); commits of "
    "openai-community/gpt2 reconstructed from the huggingface.js spec",
    "aliases.json": "renamed repos with direct evidence",
    "license_drift_edges.jsonl": "licence-drift edges (listed in highlights.license_drift)",
}
NOTES = (
    "Hub-shaped records from recorded sources; values not recorded are absent, never guessed.",
    "Hub-computed tags (license:<id>, base_model:<id>, base_model:<relation>:<id>) are derived from recorded licences "
    "and declared base models the way the Hub computes them; base models known only from card text, links or "
    "secondary pages are not turned into tags.",
    "Leaderboard base models of generation >= 2 are root ancestors: kept in provenance (olb_root_model), never served "
    "as parents.",
    "Leaderboard createdAt values have day precision (time 00:00:00 is padding); sha of leaderboard rows is the "
    "evaluated commit, not necessarily head.",
    "Records with only id/author/modelId are base models named by recorded rows whose own metadata was not recorded.",
    "README.md files are rendered from recorded card keys and quoted card text; they are not the original files' "
    "bytes. Files other than README.md/config.json are listed in siblings only where a recorded body lists them; "
    "their content is not recorded.",
    f"{FIXTURE_NS}/* records are constructed test fixtures (a licence change between two revisions; a deleted base "
    "model); no real licence change over time was recorded in the sources.",
    "Spaces are built from the 'spaces' lists of recorded model_info bodies (space id and the models naming it only).",
)


@dataclass
class Draft:
    """A model record under construction."""

    id: str
    info: dict[str, Any] = field(default_factory=dict)
    verbatim: bool = False
    recorded_tags: list[str] | None = None
    card: dict[str, Any] | None = None
    card_tags: list[str] = field(default_factory=list)
    license: Any = None
    declared: list[str] = field(default_factory=list)
    relation_hint: str | None = None
    adapter: bool = False
    body: list[str] = field(default_factory=list)
    readme_commit: str | None = None
    extra_files: dict[str, str] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def iso(value: str | None, *, day_only_note: list[str] | None = None) -> str | None:
    """Hub datetime from the recorded forms ('2024-04-13', '2025-01-23 14:13:54+00:00', ISO Z)."""
    if not value:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        if day_only_note is not None:
            day_only_note.append("createdAt has day precision (leaderboard 'Upload To Hub Date'); time is 00:00:00")
        return f"{value}T00:00:00.000Z"
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return hub_datetime(parsed)


def commit_in_url(url: str) -> str | None:
    """The Hub commit a file was read at, from a Hub (or Hub mirror) URL; None for other hosts."""
    if "github.com" in url:
        return None
    match = re.search(r"/(?:resolve|blob|blame|raw|commit)/([0-9a-f]{40})(?:/|$)", url)
    return match.group(1) if match else None


def quoted(basis: str) -> list[str]:
    """Card text quoted in a basis note: the single-quoted passages after 'text'."""
    marker = basis.find("text")
    if marker < 0:
        return []
    return [m for m in re.findall(r"'(.{12,}?)'(?=\s*(?:[;,)(]|$))", basis[marker:])]


class Builder:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.drafts: dict[str, Draft] = {}
        self.aliases: dict[str, dict[str, str]] = {}
        self.spaces: dict[str, list[str]] = defaultdict(list)
        self.commits: dict[str, list[dict[str, Any]]] = {}
        self.day_notes: list[str] = []

    def draft(self, repo_id: str) -> Draft:
        if repo_id not in self.drafts:
            self.drafts[repo_id] = Draft(repo_id)
        return self.drafts[repo_id]

    # -- sources, lowest priority first ----------------------------------------------------------

    def load_aliases(self) -> None:
        data = json.loads((self.source / "aliases.json").read_text(encoding="utf-8"))
        for alias in data["aliases"]:
            self.aliases[alias["old"]] = {
                "new": alias["canonical"],
                "evidence": alias["evidence"],
                "source": alias["source"],
            }

    def canonical(self, repo_id: str) -> str:
        alias = self.aliases.get(repo_id)
        # gpt2 answers 200 itself (recorded); only redirecting aliases are rewritten.
        if alias is None or repo_id == "gpt2":
            return repo_id
        return alias["new"]

    def load_leaderboard(self, combined: dict[str, dict[str, Any]]) -> None:
        for row in read_jsonl(self.source / OLB_FILE):
            olb = row["olb"]
            d = self.draft(row["id"])
            d.sources.append(
                {
                    "file": OLB_FILE, "source_url": row["source_url"], "confidence": "leaderboard_snapshot",
                    "observed": "2024-12-08", "olb_generation": olb["generation"], "olb_root_model": olb["root_model"],
                    "olb_base_model_column": olb["base_model_column"], "olb_type": olb["type"],
                    "olb_weight_type": olb["weight_type"], "olb_available_on_hub": olb["available_on_hub"],
                    "olb_model_sha": olb["model_sha"], "olb_params_b": olb["params_b"],
                }
            )  # fmt: skip
            if row["likes"] is not None:
                d.info["likes"] = row["likes"]
            if row["created_at"]:
                d.info["createdAt"] = iso(row["created_at"], day_only_note=self.day_notes)
            if olb["weight_type"] == "Original" and olb["model_sha"]:
                d.info["sha"] = olb["model_sha"]
                d.notes.append("sha is the commit the leaderboard evaluated (submission date), not necessarily head")
            if olb["architecture"]:
                d.info["config"] = {"architectures": [olb["architecture"]]}
            if row["license"] is not None:
                d.license = row["license"]
            d.adapter = olb["weight_type"] == "Adapter"
            parents = [
                s for s in combined.get(row["id"], {}).get("sources", []) if s["confidence"] == "leaderboard_snapshot"
            ]
            if olb["generation"] == 1 and parents and parents[0]["base_models"]:
                d.declared = list(parents[0]["base_models"])
                d.relation_hint = "adapter" if d.adapter else None

    def load_misc(self) -> None:
        for row in read_jsonl(self.source / MISC_FILE):
            d = self.draft(row["id"])
            confidence = row["confidence"]
            d.sources.append(
                {k: row[k] for k in ("source_url", "confidence", "basis", "recorded_at") if row.get(k) is not None}
                | {"file": MISC_FILE}
            )
            if row.get("inference_provider_mapping"):
                d.info["inferenceProviderMapping"] = row["inference_provider_mapping"]
                continue  # an expand-only recording says nothing else
            self._misc_scalars(d, row)
            declared = confidence in DECLARING or row["id"] in SECONDARY_CARD_SUMMARY
            if confidence == "model_card_front_matter" and any(m in row["basis"] for m in NOT_DECLARED_MARKERS):
                declared = False
            card_seen = confidence in ("model_card_front_matter", "crawl_card", "card_text")
            if card_seen or "front matter" in row["basis"].lower() or row["id"] in SECONDARY_CARD_SUMMARY:
                self._misc_card(d, row, declared)
            elif "cardData.base_model" in row["basis"] and row["base_models"]:
                d.card = {"license": row["license"], "base_model": row["base_models"][0]}
            if row["base_models"] and declared:
                d.declared = list(row["base_models"])
                d.relation_hint = row["relation"] if row["relation"] in ("adapter", "quantized") else None
            elif row["base_models"]:
                d.notes.append(f"base model {row['base_models']} known only from {confidence}: not declared to the Hub")
            if confidence == "gguf_metadata":
                d.extra_files["config.json"] = json.dumps(
                    {
                        "general.base_model.0.repo_url": f"https://huggingface.co/{row['base_models'][0]}",
                        "general.license": row.get("gguf_general_license"),
                        "general.quantized_by": "Unsloth",
                    },
                    indent=2,
                )
                d.notes.append("config.json reconstructed from the GGUF header fields quoted in the basis")

    def _misc_scalars(self, d: Draft, row: dict[str, Any]) -> None:
        for src, dst in (
            ("likes", "likes"),
            ("downloads", "downloads"),
            ("pipeline_tag", "pipeline_tag"),
            ("library", "library_name"),
        ):
            if row.get(src) is not None:
                d.info[dst] = row[src]
        if row.get("created_at"):
            d.info["createdAt"] = iso(row["created_at"], day_only_note=self.day_notes)
        if row.get("sha"):
            d.info["sha"] = row["sha"]
        if row.get("last_modified"):
            d.info["lastModified"] = iso(row["last_modified"])
        if row.get("gated") is not None:
            d.info["gated"] = row["gated"]
        if row["license"] is not None:
            d.license = row["license"]
        if row["confidence"] in ("api_via_crawl",) and row["tags"]:
            d.recorded_tags = list(row["tags"])
        elif row["confidence"] in ("third_party_fixture", "test_fixture") and row["tags"]:
            d.card_tags = [t for t in row["tags"] if not t.startswith("base_model:")]
        sha = re.search(r"sha ([0-9a-f]{40})", row["basis"])
        if sha and "sha" not in d.info:
            d.info["sha"] = sha.group(1)

    def _misc_card(self, d: Draft, row: dict[str, Any], declared: bool) -> None:
        card: dict[str, Any] = {}
        basis = row["basis"]
        if row["license"] is not None:
            card["license"] = ["mit"] if "license given as a list" in basis else row["license"]
        if row.get("license_name"):
            card["license_name"] = row["license_name"]
        if row.get("license_link"):
            card["license_link"] = row["license_link"]
        if declared and row["base_models"]:
            card["base_model"] = row["base_models"][0] if len(row["base_models"]) == 1 else list(row["base_models"])
        link = re.search(r"model_link: (\S+?)(?:;|$)", basis)
        if link:
            card["model_link"] = link.group(1)
        if row.get("pipeline_tag"):
            card["pipeline_tag"] = row["pipeline_tag"]
        if row.get("library"):
            card["library_name"] = row["library"]
        if row["tags"]:
            card["tags"] = list(row["tags"])
            d.card_tags = list(row["tags"])
        if row["confidence"] != "card_text":
            d.card = card
        d.body.extend(quoted(basis))
        d.readme_commit = commit_in_url(row["source_url"])

    def load_mistral(self) -> None:
        for row in read_jsonl(self.source / MISTRAL_FILE):
            d = self.draft(row["id"])
            d.sources.append(
                {
                    "file": MISTRAL_FILE,
                    "source_url": row["source_url"],
                    "confidence": "api_via_crawl",
                    "observed": "2025-04-05",
                    "origin": row["origin"],
                }
            )
            self._misc_scalars(d, {**row, "confidence": "api_via_crawl", "basis": ""})
            card: dict[str, Any] = {}
            if row.get("card_license") is not None:
                card["license"] = row["card_license"]
            if row.get("card_base_model") is not None:
                card["base_model"] = row["card_base_model"]
            d.card = card or None
            parents = [t.split(":", 2)[2] for t in row["tags"] if t.startswith("base_model:") and t.count(":") >= 2]
            d.declared = list(dict.fromkeys(parents))

    def load_recordings(self) -> None:
        folder = self.source / "api_examples" / "huggingface_hub_cassettes_history"
        for path in sorted(folder.glob("models_*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            body = data["body"]
            d = self.draft(body["id"])
            d.sources.append(
                {
                    "file": f"api_examples/huggingface_hub_cassettes_history/{path.name}",
                    "source_url": data["_source"],
                    "confidence": "api_recording",
                    "recorded_at": data["_recorded_commit_date"],
                    "request": data["request"]["uri"],
                }
            )
            if set(body) <= {"_id", "id", "inferenceProviderMapping"}:
                d.info["_id"] = body["_id"]
                d.info["inferenceProviderMapping"] = body["inferenceProviderMapping"]
                continue
            mapping = d.info.get("inferenceProviderMapping")
            d.info = dict(body)
            if mapping is not None:
                d.info["inferenceProviderMapping"] = mapping
            d.verbatim = True
            d.card = body.get("cardData")
            for space in body.get("spaces") or ():
                self.spaces[space].append(body["id"])
        commits = json.loads(
            (self.source / "api_examples" / "commits_openai-community_gpt2__reconstructed.json").read_text(
                encoding="utf-8"
            )
        )
        for repo in ("openai-community/gpt2", "gpt2"):
            self.commits[repo] = commits["body"]
            self.draft(repo).notes.append(
                "commits: first 4 of 26 at 607a30d7 (reconstructed from the huggingface.js spec)"
            )

    # -- assembly ----------------------------------------------------------------------------------

    def payload(self, d: Draft) -> dict[str, Any]:
        if d.verbatim:
            return dict(d.info)
        parents = [self.canonical(p) for p in d.declared]
        if d.relation_hint in ("adapter", "quantized"):
            relation = d.relation_hint
        elif len(parents) > 1:
            relation = "merge"
        else:
            relation = "finetune"
        if parents and d.card is not None and "base_model" not in d.card:
            d.notes.append("tags carry a declared base model; the card revision seen had no base_model key")
        if d.recorded_tags is not None:
            tags = d.recorded_tags
        else:
            licence = d.card.get("license") if d.card and "license" in d.card else d.license
            tags = merge_tags(
                [t for t in (d.info.get("library_name"), d.info.get("pipeline_tag")) if t],
                d.card_tags,
                base_model_tags(parents, relation),
                license_tags(licence),
            )
        info: dict[str, Any] = {}
        if "_id" in d.info:
            info["_id"] = d.info["_id"]
        info["id"] = d.id
        info["private"] = False
        for key in ("pipeline_tag", "library_name"):
            if key in d.info:
                info[key] = d.info[key]
        info["tags"] = tags
        for key in ("downloads", "likes"):
            if d.info.get(key) is not None:
                info[key] = d.info[key]
        info["modelId"] = d.id
        if "/" in d.id:
            info["author"] = d.id.split("/", 1)[0]
        for key in ("sha", "lastModified", "gated", "config"):
            if d.info.get(key) is not None:
                info[key] = d.info[key]
        if d.card:
            info["cardData"] = d.card
        if d.info.get("createdAt"):
            info["createdAt"] = d.info["createdAt"]
        if "inferenceProviderMapping" in d.info:
            info["inferenceProviderMapping"] = d.info["inferenceProviderMapping"]
        return info

    def readme(self, d: Draft, info: dict[str, Any]) -> str | None:
        card = info.get("cardData")
        if not card and not d.body:
            return None
        body = "\n\n".join(d.body)
        if not d.body and d.verbatim:
            d.notes.append("README.md rendered from the recorded cardData; the card body was not recorded")
        elif d.body:
            d.notes.append("README.md: front matter from the recorded card keys, body = the quoted card text only")
        else:
            d.notes.append("README.md rendered from the card keys seen; the card body was not recorded")
        return render_card(card if isinstance(card, dict) else None, body)


def add_fixtures(writer: SnapshotWriter) -> dict[str, Any]:
    """Constructed test fixtures (namespace lineage-fixtures/): a relicensed history and a deleted parent."""
    fixture = f"{FIXTURE_NS}/Llama-3.1-8B-relicensed-ft"
    parent = "meta-llama/Llama-3.1-8B"
    shas = {k: hashlib.sha1(f"{fixture}@{k}".encode(), usedforsecurity=False).hexdigest() for k in ("r1", "r2")}
    dates = {"r1": "2024-08-01T10:00:00.000Z", "r2": "2024-10-15T09:30:00.000Z"}
    licences = {"r1": "apache-2.0", "r2": "llama3.1"}
    revision_infos: dict[str, dict[str, Any]] = {}
    for key in ("r1", "r2"):
        card = {
            "license": licences[key],
            "base_model": parent,
            "library_name": "transformers",
            "pipeline_tag": "text-generation",
        }
        info = {
            "id": fixture, "private": False, "pipeline_tag": "text-generation", "library_name": "transformers",
            "tags": merge_tags(
                ["transformers", "text-generation"], base_model_tags([parent], "finetune"), license_tags(licences[key])
            ),
            "modelId": fixture, "author": FIXTURE_NS, "sha": shas[key], "lastModified": dates[key], "gated": False,
            "cardData": card, "siblings": [{"rfilename": "README.md"}], "createdAt": dates["r1"],
        }  # fmt: skip
        revision_infos[key] = info
    writer.add_model(
        revision_infos["r2"],
        provenance={
            "sources": [{"confidence": "constructed_test_fixture"}],
            "notes": ["constructed: licence changed apache-2.0 -> llama3.1 between two revisions"],
        },
    )
    writer.add_revision(fixture, shas["r1"], revision_infos["r1"])
    for key in ("r1", "r2"):
        text = render_card(revision_infos[key]["cardData"], f"# {fixture.split('/')[1]}\n\nA fine-tune of {parent}.\n")
        writer.add_file(fixture, "README.md", text, revision=None if key == "r2" else shas["r1"])
    writer.add_commits(
        fixture,
        [
            {
                "id": shas["r2"],
                "title": "Correct the licence to the Llama 3.1 Community License",
                "message": "",
                "authors": [{"user": FIXTURE_NS}],
                "date": dates["r2"],
            },
            {
                "id": shas["r1"],
                "title": "Upload folder using huggingface_hub",
                "message": "",
                "authors": [{"user": FIXTURE_NS}],
                "date": dates["r1"],
            },
        ],
    )
    gone = f"{FIXTURE_NS}/deleted-base"
    orphan = f"{FIXTURE_NS}/orphan-of-deleted-base"
    writer.add_deleted(gone, "constructed test fixture: a base model that no longer exists")
    card = {"license": "apache-2.0", "base_model": gone}
    writer.add_model(
        {
            "id": orphan,
            "private": False,
            "tags": merge_tags(base_model_tags([gone], "finetune"), license_tags("apache-2.0")),
            "modelId": orphan,
            "author": FIXTURE_NS,
            "cardData": card,
        },
        provenance={
            "sources": [{"confidence": "constructed_test_fixture"}],
            "notes": ["constructed: its declared base model is deleted"],
        },
    )
    writer.add_file(orphan, "README.md", render_card(card, "# orphan\n"))
    return {
        "history": {
            "id": fixture,
            "revisions": [{"sha": shas[k], "date": dates[k], "license": licences[k]} for k in ("r1", "r2")],
            "constructed": True,
        },
        "deleted": {"id": gone, "child": orphan, "constructed": True},
    }


def family_members(infos: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    children: dict[str, list[str]] = defaultdict(list)
    for repo_id, info in infos.items():
        for tag in info.get("tags") or ():
            parts = tag.split(":", 2)
            if len(parts) == 3 and parts[0] == "base_model":
                children[parts[2]].append(repo_id)
    families = {}
    for family, pattern in FAMILY_PATTERNS.items():
        roots = sorted(i for i in infos if re.match(pattern, i))
        seen, stack = set(roots), list(roots)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        families[family] = {"official": roots, "members": len(seen)}
    return families


def build(source: Path, out: Path) -> None:
    builder = Builder(source)
    builder.load_aliases()
    combined = {row["id"]: row for row in read_jsonl(source / COMBINED_FILE)}
    builder.load_leaderboard(combined)
    builder.load_misc()
    builder.load_mistral()
    builder.load_recordings()
    # Renamed repos answer 307: their rows become alias evidence, not records.
    redirecting = {old: a for old, a in builder.aliases.items() if old != "gpt2"}
    for old in redirecting:
        if old in builder.drafts:
            builder.drafts[old].notes.append("served as a 307 alias; this row's data is kept in provenance only")
    infos: dict[str, dict[str, Any]] = {}
    for repo_id, draft in builder.drafts.items():
        if repo_id not in redirecting:
            infos[repo_id] = builder.payload(draft)
    # Stubs for base models named by recorded edges but not recorded themselves (existence only).
    referrers: dict[str, list[str]] = defaultdict(list)
    for row in combined.values():
        for parent in row["base_models"]:
            referrers[builder.canonical(parent)].append(row["id"])
    for draft in builder.drafts.values():
        link = (draft.card or {}).get("model_link")
        if isinstance(link, str):
            referrers[link.removeprefix("https://huggingface.co/")].append(draft.id)
    stubs = sorted(p for p in referrers if p not in infos and p not in redirecting)
    for parent in stubs:
        infos[parent] = {"id": parent, "private": False, "modelId": parent, "author": parent.split("/", 1)[0]}

    provenance = {
        "kind": "recorded",
        "built_by": "scripts/build_snapshot.py",
        "source_folder": "hub-data fixtures (read-only copy kept outside the package)",
        "inputs": INPUTS,
        "per_record": "provenance.jsonl.gz: sources (file, source_url, confidence, observed/recorded_at) and notes "
        "per model id",
    }
    writer = SnapshotWriter(
        out, name="lineage-bundled-real", provenance=provenance, created=datetime(2025, 6, 1, tzinfo=UTC),
        origin="https://huggingface.co", origin_excludes=("lineage-fixtures/",),
    )
    with writer:
        for repo_id, info in infos.items():
            d = builder.drafts.get(repo_id)
            readme = builder.readme(d, info) if d else None
            sources = (
                d.sources
                if d
                else [{"confidence": "referenced_only", "referenced_by": sorted(set(referrers[repo_id]))[:20]}]
            )
            notes = (
                list(dict.fromkeys(d.notes))
                if d
                else ["existence only: named as a base model by recorded rows; nothing else recorded"]
            )
            writer.add_model(info, provenance={"sources": sources, "notes": notes})
            if readme is not None:
                writer.add_file(
                    repo_id, "README.md", readme, commit=d.readme_commit if d and not info.get("sha") else None
                )
            for path, text in (d.extra_files if d else {}).items():
                writer.add_file(repo_id, path, text, commit=d.readme_commit if d else None)
            if repo_id in builder.commits:
                writer.add_commits(repo_id, builder.commits[repo_id])
        for space_id, models in sorted(builder.spaces.items()):
            writer.add_space(
                {"id": space_id, "author": space_id.split("/", 1)[0], "private": False, "models": sorted(set(models))}
            )
        for old, alias in sorted(redirecting.items()):
            writer.add_alias(old, alias["new"], f"{alias['evidence']} ({alias['source']})")
        fixtures = add_fixtures(writer)
        drift = []
        for edge in read_jsonl(source / "license_drift_edges.jsonl"):
            child, parent = edge["child"], builder.canonical(edge["parent"])
            tags = infos.get(child, {}).get("tags") or []
            drift.append(
                {
                    "kind": edge["kind"], "child": child, "child_license": edge["child_license"],
                    "child_license_name": edge["child_license_name"], "parent": parent,
                    "parent_license": edge["parent_license"], "relation": edge["relation"],
                    "declared_to_hub": any(t.endswith(f":{parent}") and t.startswith("base_model:") for t in tags),
                }
            )  # fmt: skip
        gated = sorted(i for i, info in infos.items() if info.get("gated") not in (None, False))
        writer.highlights = {
            "families": family_members(infos),
            "license_drift": drift,
            "aliases": [{"old": o, "new": a["new"]} for o, a in sorted(redirecting.items())],
            "legacy_same_id": [
                {"old": "gpt2", "canonical": "openai-community/gpt2", "note": "answers 200 itself (recorded)"}
            ],
            "gated": gated,
            "referenced_only_stubs": len(stubs),
            **fixtures,
        }
        for note in NOTES:
            writer.note(note)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(infos) + 2} models, {len(builder.spaces)} spaces, {size / 1e6:.2f} MB to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/hub-data"))
    parser.add_argument("--out", type=Path, default=ROOT / "crawler" / "snapshot" / "data" / "bundled")
    args = parser.parse_args()
    build(args.source, args.out)


if __name__ == "__main__":
    main()
