"""Dossiers assembled from the real Neo4j holding real families of the bundled snapshot.

Expected values come from the snapshot files themselves (revisions, licences, declared base
models, Spaces), not from the code under test.
"""

from __future__ import annotations

import gzip
import html
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import Driver

from crawler.deployments import HUB_SPACES_PER_MODEL
from crawler.observations import DeclaredLicense
from hubreplay.snapshot import bundled_snapshot_path
from graph.errors import InvalidArgument, ModelNotFound
from reports.aibom import aibom_json
from reports.dossier import Dossier, InvalidAsOf, NotKnownAtInstant, UnknownFile, investigate
from reports.render import Format, render
from terms.licenses import TriState
from terms.licenses import default_catalog
from graph.writer import GraphWriter
from tests.support.families import (
    DELETED_CHILD,
    GGUF,
    GGUF_BASE,
    GGUF_PARENT,
    INSTRUCT,
    MERGE,
    RELICENSED,
    Families,
)
from tests.support.observations import derived, seen

pytestmark = pytest.mark.integration

SNAPSHOT = bundled_snapshot_path()


def _rows(name: str) -> list[dict[str, Any]]:
    with gzip.open(SNAPSHOT / name, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


MODELS = {str(r["id"]): r for r in _rows("models.jsonl.gz")}
MANIFEST = json.loads((SNAPSHOT / "manifest.json").read_text())


def _declared_parents(model_id: str) -> list[tuple[str, str]]:
    """(relation, parent) from the Hub-computed tags of the snapshot row."""
    out = []
    for tag in MODELS[model_id].get("tags") or []:
        parts = str(tag).split(":", 2)
        if len(parts) == 3 and parts[0] == "base_model":
            out.append((parts[1], parts[2]))
    return sorted(out)


def _evidence(dossier: Dossier, ids: tuple[str, ...]) -> list[Any]:
    rows = {e.id: e for e in dossier.evidence}
    return [rows[i] for i in ids]


def test_a_gguf_quantization_chain_names_each_party_and_role_back_to_the_original_provider(
    neo4j_driver: Driver, families: Families
) -> None:
    dossier = investigate(neo4j_driver, GGUF)
    assert _declared_parents(GGUF) == [("quantized", GGUF_PARENT)]
    assert _declared_parents(GGUF_PARENT) == [("finetune", GGUF_BASE)]
    steps = [(s.depth, s.model, s.party, s.role, s.relation) for s in dossier.chain]
    assert steps == [
        (0, GGUF, None, "user", None),  # anyone who uses the model or its outputs
        (0, GGUF, MODELS[GGUF]["author"], "redistributor", "quantized"),
        (1, GGUF_PARENT, MODELS[GGUF_PARENT]["author"], "fine_tuner", "finetune"),
        (2, GGUF_BASE, MODELS[GGUF_BASE]["author"], "original_provider", None),
    ]
    assert dossier.lineage.paths == ((GGUF, GGUF_PARENT, GGUF_BASE),)
    # the licence at each step is the one each snapshot row declares
    assert [(m.id, m.license) for m in dossier.models] == [
        (m, next(t.split(":", 1)[1] for t in MODELS[m]["tags"] if t.startswith("license:")))
        for m in (GGUF, GGUF_PARENT, GGUF_BASE)
    ]
    first = dossier.summary[0].text
    assert first == f"{GGUF} is a quantization of {GGUF_PARENT}, published by {MODELS[GGUF]['author']}."
    assert any("is the original model" in s.text and GGUF_BASE in s.text for s in dossier.summary)
    # the quantizer owes what a redistributor owes under gemma, the original provider its AI Act duties
    # (and, as gemma's licensor, nothing under gemma)
    by_model = {s.model: s for s in dossier.chain if s.role != "user"}
    assert any(o.license == "gemma" for o in by_model[GGUF].obligations)
    assert [o.id for o in by_model[GGUF_BASE].obligations if o.license == "gemma"] == []
    assert any(o.id == "act:art53" for o in by_model[GGUF_BASE].obligations)


def test_the_evidence_table_gives_source_url_revision_and_time_of_every_fact(
    neo4j_driver: Driver, families: Families
) -> None:
    dossier = investigate(neo4j_driver, GGUF)
    rows = {e.id: e for e in dossier.evidence}
    referenced = {i for m in dossier.models for i in m.evidence}
    referenced |= {i for m in dossier.models for d in m.declarations for i in d.evidence}
    referenced |= {i for m in dossier.models for p in m.publishers for i in p.evidence}
    referenced |= {i for d in dossier.lineage.derivations for i in d.evidence}
    referenced |= {i for lic in dossier.licenses for i in lic.evidence}
    assert referenced == set(rows), "every row supports a shown fact and every shown fact has rows"
    for derivation in dossier.lineage.derivations:
        pieces = _evidence(dossier, derivation.evidence)
        assert pieces, derivation
        for row in pieces:
            assert row.source_url and row.source_url.endswith(f"/api/models/{derivation.child}")
            assert row.revision == MODELS[derivation.child].get("sha")  # None where the hub gave none
            assert row.first_seen is not None and row.last_seen is not None
        # both declared sources of the edge are there: the card's base_model and the hub's tag
        assert {row.detail.split(":", 1)[0] for row in pieces} >= {"hub_tag"}
    parent_rows = _evidence(dossier, dossier.lineage.derivations[1].evidence)
    assert parent_rows[0].revision == MODELS[GGUF_PARENT]["sha"] == "1937c70277fcc5f7fb0fc772fc5bc69378996e71"
    licence_rows = [r for r in dossier.evidence if r.kind == "licence_text"]
    sources = default_catalog().get("gemma").sources
    assert "https://ai.google.dev/gemma/terms" in sources
    assert [r.source_url for r in licence_rows] == list(sources)


def test_the_licence_in_force_follows_the_recorded_history(neo4j_driver: Driver, families: Families) -> None:
    history = MANIFEST["highlights"]["history"]
    assert history["id"] == RELICENSED
    first, second = history["revisions"]
    before = investigate(neo4j_driver, RELICENSED, as_of=datetime(2024, 9, 1, tzinfo=UTC))
    after = investigate(neo4j_driver, RELICENSED, as_of=datetime(2024, 11, 1, tzinfo=UTC))
    assert before.models[0].license == first["license"] == "apache-2.0"
    assert after.models[0].license == second["license"] == "llama3.1"
    in_force = [d for d in before.models[0].declarations if d.in_force]
    assert len(in_force) == 1
    (row,) = _evidence(before, in_force[0].evidence)
    assert row.revision == first["sha"]
    assert row.first_seen == datetime.fromisoformat(first["date"])
    (row_after,) = _evidence(after, next(d for d in after.models[0].declarations if d.in_force).evidence)
    assert row_after.revision == second["sha"]
    # the summary speaks of the licence in force then, and of the change
    assert "on 1 September 2024" in before.summary[2].text and "declared apache-2.0" in before.summary[2].text
    assert "declared llama3.1" in after.summary[2].text
    assert any("changed over time" in s.text for s in before.summary)
    # only evidence observed by the instant supports the derivation then
    (edge,) = before.lineage.derivations
    assert {r.revision for r in _evidence(before, edge.evidence)} == {first["sha"]}
    assert edge.later_evidence > 0
    assert before.content_hash != after.content_hash
    # in September 2024 the base model had not been observed: its licence is unknown, not today's value
    base = before.models[1]
    assert base.id == "meta-llama/Llama-3.1-8B" and not base.known and base.license is None
    assert any(u.subject == base.id and "never observed" in u.what for u in before.unknowns)


def test_a_model_not_yet_observed_itself_gets_a_dossier_of_unknowns(neo4j_driver: Driver, families: Families) -> None:
    # in September 2024 meta-llama/Llama-3.1-8B was only named as the base of the relicensed fine-tune
    dossier = investigate(neo4j_driver, "meta-llama/Llama-3.1-8B", as_of=datetime(2024, 9, 1, tzinfo=UTC))
    assert dossier.result is None and dossier.models[0].known is False
    assert [(s.model, s.role, s.obligations) for s in dossier.chain] == [("meta-llama/Llama-3.1-8B", "unknown", ())]
    assert "never observed itself" in dossier.summary[0].text
    assert any("no terms, conflicts or responsibilities" in u.what for u in dossier.unknowns)
    assert investigate(neo4j_driver, "meta-llama/Llama-3.1-8B").models[0].known


def test_a_merge_shows_every_path_and_every_parent_licence(neo4j_driver: Driver, families: Families) -> None:
    dossier = investigate(neo4j_driver, MERGE)

    def walk(model_id: str) -> list[tuple[str, ...]]:
        parents = [p for _, p in _declared_parents(model_id)] if model_id in MODELS else []
        if not parents:
            return [(model_id,)]
        return [(model_id, *rest) for p in parents for rest in walk(p)]

    assert sorted(dossier.lineage.paths) == sorted(walk(MERGE))
    assert len(dossier.lineage.paths) == 3
    assert {m.id for m in dossier.models} == {n for path in walk(MERGE) for n in path}
    assert {s.model for s in dossier.chain} == {m.id for m in dossier.models}
    assert [s.role for s in dossier.chain if s.model == MERGE] == ["user", "merger"]
    for m in dossier.models:
        declared = (MODELS[m.id].get("cardData") or {}).get("license")
        if declared is not None:
            assert m.license == declared
    assert dossier.result is not None and dossier.result.commercial.status.value == "non_commercial"
    # each conflict carries its path of (model, licence) steps starting at the model
    assert dossier.result.conflicts
    assert all(c.path[0].model_id == MERGE for c in dossier.result.conflicts)


def test_a_deleted_parent_and_a_missing_licence_are_stated_as_unknown(neo4j_driver: Driver, families: Families) -> None:
    deleted = MANIFEST["highlights"]["deleted"]
    assert deleted["child"] == DELETED_CHILD
    dossier = investigate(neo4j_driver, DELETED_CHILD)
    parent = dossier.model(deleted["id"])
    assert parent is not None and parent.status == "deleted" and parent.license is None
    about_parent = [u.what for u in dossier.unknowns if u.subject == deleted["id"]]
    assert any("deleted from the hub" in w for w in about_parent)
    assert any("no licence declared" in w for w in about_parent)
    assert any("deleted from the hub" in s.text for s in dossier.summary)
    assert dossier.result is not None and dossier.result.commercial.status.value == "unknown"


def test_the_ai_act_section_says_why_systemic_risk_is_not_presumed(neo4j_driver: Driver, families: Families) -> None:
    dossier = investigate(neo4j_driver, INSTRUCT)
    assert dossier.result is not None
    eu = dossier.result.eu_ai_act
    total = MODELS[INSTRUCT]["safetensors"]["total"]  # the Hub's listed count, crawled into the graph
    count = f"{total:.2e}".replace("e+0", "e").replace("e+", "e")
    assert eu.systemic_risk is TriState.NO
    assert eu.systemic_risk_basis.startswith(f"{count} parameters (safetensors total): C ≈ 6·N·D with D ≤ 1e14 tokens")
    assert f"systemic risk not presumed ({eu.systemic_risk_basis})" in render(dossier, Format.MD)
    assert dossier.to_json_dict()["effective"]["eu_ai_act"]["systemic_risk_basis"] == eu.systemic_risk_basis
    quant = investigate(neo4j_driver, GGUF).result
    assert quant is not None and quant.eu_ai_act.systemic_risk is TriState.UNKNOWN  # nothing counted in its chain


def test_deployments_reached_include_those_of_descendants(neo4j_driver: Driver, families: Families) -> None:
    spaces = {f"space:{r['id']}" for r in _rows("spaces.jsonl.gz") if INSTRUCT in (r.get("models") or [])}
    own = investigate(neo4j_driver, INSTRUCT)
    ids = {d.id for d in own.deployments.listed}
    assert spaces and spaces <= ids
    assert {d.depth for d in own.deployments.listed} == {0}
    hosts = [s for s in own.chain if s.deployment is not None]
    assert {s.deployment for s in hosts} == ids
    assert {s.role for s in hosts} <= {"host", "inference_provider", "deployer"}
    assert any("gated on the hub" in s.text for s in own.summary[:1])
    for d in own.deployments.listed:
        (row,) = _evidence(own, d.evidence)
        assert row.kind == "deployment" and row.source_url and row.first_seen is not None
    base = investigate(neo4j_driver, "meta-llama/Llama-3.1-8B")
    reached = {d.id: d for d in base.deployments.listed}
    assert ids <= set(reached) and all(reached[i].depth == 1 and reached[i].model == INSTRUCT for i in ids)
    assert base.deployments.total == len(base.deployments.listed)
    capped = investigate(neo4j_driver, "meta-llama/Llama-3.1-8B", max_deployments=5)
    assert len(capped.deployments.listed) == 5 and capped.deployments.total == base.deployments.total
    assert any("deployments are listed" in u.what for u in capped.unknowns)


def test_an_old_id_leads_to_the_renamed_model(neo4j_driver: Driver, families: Families) -> None:
    renamed = next(a for a in MANIFEST["highlights"]["aliases"] if a["new"] == "meta-llama/Llama-3.1-8B")
    dossier = investigate(neo4j_driver, renamed["old"])
    assert dossier.asked == renamed["old"] and dossier.subject == renamed["new"]
    assert renamed["old"] in dossier.models[0].aliases
    assert f"(asked as {renamed['old']}, an old id of it)" in dossier.summary[0].text


def test_a_weight_file_leads_to_the_model_holding_it(neo4j_driver: Driver, families: Families) -> None:
    by_file = investigate(neo4j_driver, sha256=families.weights_sha256.upper())
    assert by_file.subject == GGUF and by_file.asked == families.weights_sha256.upper()
    assert by_file.file is not None and [h.model for h in by_file.file.holders] == [GGUF]
    (row,) = _evidence(by_file, by_file.file.holders[0].evidence)
    assert row.kind == "file" and row.detail == "gemma-2-9b-it-Q4_K_M.gguf"
    assert by_file.summary[0].text.startswith(f"The file {families.weights_sha256} is held by {GGUF}")
    by_id = investigate(neo4j_driver, GGUF)
    assert [s.model for s in by_file.chain] == [s.model for s in by_id.chain]
    with pytest.raises(UnknownFile):
        investigate(neo4j_driver, sha256="0" * 64)
    with pytest.raises(InvalidArgument):
        investigate(neo4j_driver, sha256="not-a-digest")


def test_the_hash_is_stable_for_the_same_graph_and_instant(neo4j_driver: Driver, families: Families) -> None:
    one = investigate(neo4j_driver, MERGE, now=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    two = investigate(neo4j_driver, MERGE)
    assert one.generated_at != two.generated_at
    assert one.content_hash == two.content_hash
    assert one.content_dict() == two.content_dict()


def test_bad_input_is_refused_with_what_is_wrong(neo4j_driver: Driver, families: Families) -> None:
    with pytest.raises(ModelNotFound, match="not in the graph"):
        investigate(neo4j_driver, "nobody/nothing")
    with pytest.raises(InvalidAsOf, match="in the future"):
        investigate(neo4j_driver, GGUF, as_of=datetime(2999, 1, 1, tzinfo=UTC))
    first = datetime.fromisoformat(MANIFEST["highlights"]["history"]["revisions"][0]["date"])
    with pytest.raises(NotKnownAtInstant, match="is not known before") as raised:
        investigate(neo4j_driver, RELICENSED, as_of=first.replace(year=first.year - 1))
    assert raised.value.known_since == first


@pytest.mark.parametrize("length", [1, 2, 5])
def test_a_cycle_in_the_ancestry_is_stated_and_the_dossier_completes(
    neo4j_driver: Driver, families: Families, length: int
) -> None:
    ids = [f"cycle-{length}/m{i}" for i in range(length)]
    observations = [seen(m, declared_license=DeclaredLicense("apache-2.0"), author=f"cycle-{length}") for m in ids]
    observations += [derived(ids[i], ids[(i + 1) % length]) for i in range(length)]
    GraphWriter(neo4j_driver).write(observations, run_id=f"cycle-{length}")
    dossier = investigate(neo4j_driver, ids[0])
    assert dossier.lineage.cycles == ((*ids, ids[0]),)
    assert any("cycle" in s.text for s in dossier.summary)
    assert any("contains a cycle" in u.what for u in dossier.unknowns)
    assert {m.id for m in dossier.models} == set(ids)
    assert dossier.result is not None


def _md_text(md: str) -> str:
    """Markdown with its escapes and code fences removed, to look for values as a reader sees them."""
    return md.replace("\\", "").replace("`", "")


def test_parties_come_before_hosts_and_hosts_are_counted_by_kind_with_the_hubs_cap(
    neo4j_driver: Driver, families: Families
) -> None:
    spaces = {f"space:{r['id']}" for r in _rows("spaces.jsonl.gz") if INSTRUCT in (r.get("models") or [])}
    providers = {f"provider:{p}:{INSTRUCT}" for p in MODELS[INSTRUCT]["inferenceProviderMapping"]}
    # the snapshot's Spaces come from the Hub's model metadata, which names at most 100 per model
    assert len(spaces) == len(MODELS[INSTRUCT]["spaces"]) == HUB_SPACES_PER_MODEL
    dossier = investigate(neo4j_driver, INSTRUCT)
    # the chain: the model's own parties first, the hosts after them
    kinds = ["host" if s.deployment else "party" for s in dossier.chain]
    assert kinds == sorted(kinds, key=lambda k: k == "host") and "party" in kinds and "host" in kinds
    publisher = next(i for i, s in enumerate(dossier.chain) if s.role == "fine_tuner")
    assert dossier.chain[publisher].party == MODELS[INSTRUCT]["author"]
    assert {s.deployment for s in dossier.chain if s.deployment} == spaces | providers
    # hosts by kind, every one counted, the Hub's cap disclosed: 100 Spaces is a floor, not a total
    by_kind = {h.kind: h for h in dossier.deployments.by_kind}
    assert list(by_kind) == ["space", "inference_provider"]
    assert (by_kind["space"].total, by_kind["space"].direct, by_kind["space"].source_cap) == (len(spaces),) * 3
    assert [(c.model, c.listed) for c in by_kind["space"].capped] == [(INSTRUCT, len(spaces))]
    assert by_kind["inference_provider"].total == len(providers) and by_kind["inference_provider"].capped == ()
    cap = f"the Hub lists at most {HUB_SPACES_PER_MODEL} Spaces per model; {len(spaces)} listed, more may exist"
    assert any(u.subject == INSTRUCT and u.what == cap for u in dossier.unknowns)
    summary = " ".join(s.text for s in dossier.summary)
    assert (f"At least {len(spaces)} Hub Spaces and {len(providers)} inference providers serve it or models "
            f"derived from it (at least {len(spaces) + len(providers)} deployments, {len(spaces) + len(providers)} "
            "of them serving it directly).") in summary
    assert f"For {INSTRUCT}, {cap}." in summary

    # JSON: the chain's parties first, the hosts counted by kind with the cap
    data = json.loads(render(dossier, Format.JSON))
    roles = [s["role"] for s in data["chain"]]
    assert roles.index("fine_tuner") < min(i for i, s in enumerate(data["chain"]) if s["deployment"])
    space = data["deployments"]["by_kind"][0]
    assert space == {"kind": "space", "total": len(spaces), "direct": len(spaces), "models": 1,
                     "source_cap": HUB_SPACES_PER_MODEL, "capped": [{"model": INSTRUCT, "listed": len(spaces)}]}

    # Markdown and HTML: the parties' table holds no host; the hosts follow, summarised, the cap stated
    md = render(dossier, Format.MD)
    chain_part = md.split("## Chain of parties and roles", 1)[1].split("### What each party owes", 1)[0]
    assert "space:" not in chain_part and "provider:" not in chain_part
    assert f"`{MODELS[INSTRUCT]['author']}` | fine-tuner" in chain_part
    assert f"at least {len(spaces)} Hub Spaces and {len(providers)} inference providers" in chain_part
    hosts_part = md.split("## Hosts and deployments", 1)[1].split("\n## ", 1)[0]
    assert f"| Hub Spaces | {len(spaces)} | {len(spaces)} | 1 | {HUB_SPACES_PER_MODEL} |" in hosts_part
    assert f"{INSTRUCT}: {cap}." in _md_text(hosts_part)
    total = len(spaces) + len(providers)
    assert f"The first 25 of {total}" in hosts_part
    assert hosts_part.count("| `space:") + hosts_part.count("| `provider:") == 25
    assert md.index("## Chain of parties and roles") < md.index("## Hosts and deployments")
    page = render(dossier, Format.HTML)
    assert page.index("fine-tuner") < page.index("space:") and html.escape(cap) in page
    assert f"<td>Hub Spaces</td><td>{len(spaces)}</td>" in page
    # the AIBOM counts the hosts by kind as well
    bom = json.loads(aibom_json(dossier))
    props = {(p["name"], p["value"]) for p in bom["metadata"]["component"]["properties"]}
    assert ("lineage:hosts", f"inference_provider: {len(providers)}") in props
    assert any(n == "lineage:hosts" and v.startswith(f"space: {len(spaces)} (at least") for n, v in props)


def test_a_base_models_dossier_discloses_the_cap_of_a_descendants_spaces(
    neo4j_driver: Driver, families: Families
) -> None:
    base = "meta-llama/Llama-3.1-8B"
    assert ("finetune", base) in _declared_parents(INSTRUCT)
    dossier = investigate(neo4j_driver, base)
    (space,) = [h for h in dossier.deployments.by_kind if h.kind == "space"]
    assert space.direct == 0 and space.models == 1
    assert [c.model for c in space.capped] == [INSTRUCT]
    assert any(u.subject == INSTRUCT and "more may exist" in u.what for u in dossier.unknowns)


def test_unchecked_rules_and_unknowns_are_shown_in_every_format(neo4j_driver: Driver, families: Families) -> None:
    dossier = investigate(neo4j_driver, INSTRUCT)
    assert dossier.result is not None
    unchecked = dossier.result.unchecked_rules
    # llama3.1 carries a monthly-active-users threshold; the publisher's users are not recorded
    assert "R06" in unchecked and [u.rule for u in dossier.unchecked] == list(unchecked)
    data = json.loads(render(dossier, Format.JSON))
    assert data["effective"]["unchecked_rules"] == list(unchecked)
    assert [u["rule"] for u in data["unchecked_rules"]] == list(unchecked)
    assert data["unknowns"] == [u.to_json() for u in dossier.unknowns] and dossier.unknowns
    md = render(dossier, Format.MD)
    page = render(dossier, Format.HTML)
    checked = md.split("## What could not be checked", 1)[1].split("\n## ", 1)[0]
    for u in dossier.unchecked:
        assert f"| `{u.rule}` |" in checked and u.needs in checked
        assert f"<code>{u.rule}</code>" in page and html.escape(u.needs) in page
    assert "R06" in " ".join(s.text for s in dossier.summary)
    bom = json.loads(aibom_json(dossier))
    props = {(p["name"], p["value"]) for p in bom["metadata"]["component"]["properties"]}
    assert {("lineage:unchecked-rule", f"{u.rule}: {u.needs}") for u in dossier.unchecked} <= props
    for model_id in (INSTRUCT, MERGE, DELETED_CHILD):  # gated, a merge of merges, a deleted parent
        other = investigate(neo4j_driver, model_id)
        assert other.unknowns, model_id
        md, page = render(other, Format.MD), render(other, Format.HTML)
        not_known = _md_text(md.split("## Not known", 1)[1].split("\n## ", 1)[0])
        html_not_known = page.split("<h2>Not known</h2>", 1)[1].split("<h2>", 1)[0]
        for u in other.unknowns:
            assert f"{u.subject}: {u.what}" in not_known, (model_id, u)
            assert html.escape(u.what) in html_not_known, (model_id, u)
        assert json.loads(render(other, Format.JSON))["unknowns"] == [u.to_json() for u in other.unknowns]


def test_a_dossier_without_unchecked_rules_or_hosts_says_so(neo4j_driver: Driver, families: Families) -> None:
    dossier = investigate(neo4j_driver, GGUF)
    assert dossier.result is not None and dossier.result.unchecked_rules == () and dossier.deployments.total == 0
    md = render(dossier, Format.MD)
    assert "Every conflict rule that applies could be checked" in md.split("## What could not be checked", 1)[1]
    assert "None recorded" in md.split("## Hosts and deployments", 1)[1]
