"""Two spellings of one model id: the fetched record, not a reference stub, survives the merge.

The bundled snapshot holds ``01-ai/Yi-1.5-34B-32K`` (fetched: sha, ``license:apache-2.0``) and
``01-ai/Yi-1.5-34B-32k`` (a stub naming it as the base of a dolphin fine-tune). The Hub ignores
case, so both spellings are one repo.
"""

from __future__ import annotations

import pytest
from neo4j import Driver

from crawler.observations import AliasSeen, DeclaredLicense
from graph.aliases import merge_model_properties
from graph.results.engine_input import load_lineage_view
from graph.writer import GraphWriter
from hubreplay.snapshot import bundled_snapshot_path
from hubreplay.snapshot.store import Snapshot
from terms.propagation import PropagationEngine

from tests.support.observations import at, derived, seen, src

FETCHED, STUB = "01-ai/Yi-1.5-34B-32K", "01-ai/Yi-1.5-34B-32k"
CHILD = "cognitivecomputations/dolphin-2.9.3-Yi-1.5-34B-32k"
SHA = "2c03a29761e4174f20347a60fbe229be4383d48b"


def test_the_replay_hub_answers_both_spellings_with_the_fetched_record() -> None:
    snapshot = Snapshot.load(bundled_snapshot_path())
    assert snapshot.canonical_id(STUB) == FETCHED == snapshot.canonical_id(FETCHED)
    entry = snapshot.model(STUB)
    assert entry is not None and "license:apache-2.0" in entry.tags


def test_merged_properties_keep_the_fetched_node_when_the_new_spelling_is_a_stub() -> None:
    fetched = {"id": FETCHED, "search_id": FETCHED.lower(), "crawled_at": at(0), "sha": SHA,
               "declared_license": "apache-2.0", "license_raw": "apache-2.0", "license_recorded": True}
    stub = {"id": STUB, "search_id": STUB.lower(), "crawled_at": at(1), "license_recorded": False, "tags": []}
    merged = merge_model_properties(fetched, stub, FETCHED)
    assert (merged["id"], merged["search_id"]) == (STUB, STUB.lower())
    assert (merged["sha"], merged["declared_license"], merged["license_recorded"]) == (SHA, "apache-2.0", True)
    assert merged["aliases"] == [FETCHED]
    # two fetched records: the newer one's values win, as before
    newer = {**fetched, "id": STUB, "search_id": STUB.lower(), "crawled_at": at(2), "declared_license": "mit"}
    assert merge_model_properties(fetched, newer, FETCHED)["declared_license"] == "mit"


@pytest.mark.integration
def test_an_alias_onto_a_stub_keeps_the_fetched_licence(clean_graph: Driver) -> None:
    writer = GraphWriter(clean_graph)
    writer.write([seen(FETCHED, 0, declared_license=DeclaredLicense("apache-2.0"), sha=SHA)], run_id="r1")
    writer.write([seen(STUB, 1, license_recorded=False), seen(CHILD, 1, declared_license=DeclaredLicense("apache-2.0")),
                  derived(CHILD, STUB, 1)], run_id="r2")
    writer.write([AliasSeen(FETCHED, STUB, src(STUB, 2))], run_id="r3")  # the hub answered with the stub's spelling
    rows, _, _ = clean_graph.execute_query(
        "MATCH (m:Model) WHERE m.search_id = $key "
        "RETURN m.id AS id, m.declared_license AS lic, m.license_recorded AS recorded, m.sha AS sha, "
        "[(m)-[d:DECLARES]->(l) WHERE d.valid_to IS NULL | l.id] AS declares",
        {"key": STUB.lower()},
    )
    assert [dict(r) for r in rows] == [
        {"id": STUB, "lic": "apache-2.0", "recorded": True, "sha": SHA, "declares": ["apache-2.0"]}]
    results = PropagationEngine().evaluate(load_lineage_view(clean_graph, [CHILD]).view, [CHILD, STUB])
    assert results[STUB].declared == ("apache-2.0",) and results[STUB].conflicts == ()
    assert results[CHILD].conflicts == () and results[CHILD].unknown_parts == ()
