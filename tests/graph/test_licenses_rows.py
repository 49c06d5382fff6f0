"""Graph rows for License/Term nodes and IMPOSES pairs (pure, no database)."""

from __future__ import annotations

from graph.knowledge_base.rows import graph_rows
from terms.licenses import default_catalog


def test_rows_are_complete_consistent_and_storable() -> None:
    catalog = default_catalog()
    rows = graph_rows(catalog)
    license_ids = [r["id"] for r in rows.licenses]
    term_ids = [r["id"] for r in rows.terms]
    assert len(license_ids) == len(set(license_ids)) == len(catalog)
    assert len(term_ids) == len(set(term_ids))
    assert {(r["license_id"], r["term_id"]) for r in rows.imposes} <= {
        (lid, tid) for lid in license_ids for tid in term_ids}
    for row in (*rows.licenses, *rows.terms, *rows.imposes):
        for key, value in row.items():
            assert value is None or isinstance(value, (str, int, bool)) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)), (key, value)
    assert graph_rows(catalog) == rows


def test_shared_terms_are_one_node_imposed_by_several_licences() -> None:
    rows = graph_rows(default_catalog())
    imposers: dict[str, set[str]] = {}
    for pair in rows.imposes:
        imposers.setdefault(str(pair["term_id"]), set()).add(str(pair["license_id"]))
    military = imposers["restriction:military"]
    assert {"llama3.1", "deepseek", "flux-1-dev-non-commercial-license", "impact-mr"} <= military
    assert {"llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4"} == imposers["threshold:mau:700000000"]
    assert {"llama3.1", "llama3.2", "llama3.3", "llama4"} == imposers["attribution:display:built-with-llama"]
    assert imposers["commercial:non_commercial"] >= {"cc-by-nc-4.0", "flux-1-dev-non-commercial-license"}
    terms = {r["id"]: r for r in rows.terms}
    assert terms["threshold:revenue_usd:1000000"]["amount"] == 1_000_000
    assert terms["naming:must_begin_with:llama"]["value"] == "Llama"


def test_license_rows_carry_markers_and_flow_flags() -> None:
    rows = graph_rows(default_catalog())
    by_id = {r["id"]: r for r in rows.licenses}
    assert by_id["qwen-research"]["verified"] is False
    markers = by_id["qwen-research"]["markers"]
    assert isinstance(markers, list) and "commercial:U" in markers
    assert by_id["llama3.2"]["exclusions"] == ["geographic:EU:multimodal"]
    pairs = {(p["license_id"], p["term_id"]): p for p in rows.imposes}
    nc = pairs[("cc-by-nc-4.0", "commercial:non_commercial")]
    assert (nc["flows"], nc["binding"]) == (True, True)
    apache = pairs[("apache-2.0", "attribution:keep_notices")]
    assert (apache["flows"], apache["binding"]) == (True, False)


def test_restriction_sections_are_stored_per_licence_and_restriction() -> None:
    rows = graph_rows(default_catalog())
    pairs = {(p["license_id"], p["term_id"]): p for p in rows.imposes}
    assert pairs[("llama3.1", "restriction:military")]["section"] == "AUP §2.a; AUP §2.b"
    assert pairs[("deepseek", "restriction:military")]["section"] == "Attachment A (b)"  # same term, its own section
    assert pairs[("llama3.1", "threshold:mau:700000000")]["section"] is None
    by_id = {r["id"]: r for r in rows.licenses}
    sections = by_id["gemma"]["restriction_sections"]
    assert isinstance(sections, list) and "safety_filter_circumvention: PUP §2.4" in sections
    assert len(sections) == len(default_catalog().get("gemma").restrictions)
