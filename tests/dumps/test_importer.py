"""dumps.importer against the real Neo4j: the import's graph is the one the sweep's path gives for the same
models, its evidence names the file and the row, bad rows are problems (on the model when it has an id)."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import ModelInfo
from neo4j import Driver

from crawler.listing import observe_listed
from crawler.observations import Observation, Source
from dumps.importer import Checkpoint, DumpImporter, run_id_of
from dumps.reader import open_dump, row_url
from dumps.settings import ImportSettings
from graph import reads
from graph.writer import GraphWriter
from tests.dumps.sample import BAD_ROWS, CLEAN_ROWS, HUB_ITEMS, ROOT, write_dump
from tests.support.crawl import graph_fingerprint
from tests.support.stack import WIPE

pytestmark = pytest.mark.integration

BATCH = 4


def _import(driver: Driver, path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return DumpImporter(GraphWriter(driver), ImportSettings(batch_rows=BATCH)).run(open_dump(path), **kwargs)  # type: ignore[arg-type]


def _wipe(driver: Driver) -> None:
    with driver.session() as session:
        session.run(WIPE).consume()


def test_the_import_writes_what_observe_listed_and_the_writer_give_for_the_same_models(
    clean_graph: Driver, tmp_path: Path
) -> None:
    path = write_dump(tmp_path / "models.parquet", CLEAN_ROWS)
    report = _import(clean_graph, path)
    imported = graph_fingerprint(clean_graph)

    _wipe(clean_graph)
    dump = open_dump(path)
    writer = GraphWriter(clean_graph)
    for start in range(0, len(HUB_ITEMS), BATCH):  # the same models, the sweep's way, in the same batches
        batch: list[Observation] = []
        for number in range(start, min(start + BATCH, len(HUB_ITEMS))):
            source = Source(url=row_url(dump, number), revision=dump.revision, observed_at=dump.observed_at)
            batch.extend(observe_listed(ModelInfo(**HUB_ITEMS[number]), source))
        writer.write(batch, run_id=run_id_of(dump))
    assert graph_fingerprint(clean_graph) == imported
    assert (report.rows_read, report.models, report.rows_without_model) == (11, 11, 0)
    assert report.derivations == 8 and report.base_models_used == 1  # one per piece of evidence (tag, card)
    assert report.licenses == 7


def test_lineage_licences_and_gates_read_back_through_the_graph_reads(clean_graph: Driver, tmp_path: Path) -> None:
    path = write_dump(tmp_path / "models.parquet", CLEAN_ROWS)
    _import(clean_graph, path)
    dump = open_dump(path)

    up = reads.ancestors(clean_graph, "carol/base-models-only")  # lineage from baseModels only
    assert up.roots == (ROOT,)
    edge = next(e for e in up.edges if e.child == "carol/base-models-only")
    assert (edge.parent, edge.relation.value) == ("alice/llama-ft", "quantized")
    assert [(e.source_url, e.revision) for e in edge.evidence] == [(row_url(dump, 3), dump.revision)]

    card_only = reads.ancestors(clean_graph, "bob/card-only")  # lineage from the card only
    assert [(e.child, e.parent, e.relation.value, e.evidence[0].kind) for e in card_only.edges if e.child == "bob/card-only"] == [
        ("bob/card-only", "alice/llama-ft", "adapter", "card_base_model")
    ]
    merge = reads.ancestors(clean_graph, "heidi/merge")
    assert sorted(e.parent for e in merge.edges if e.child == "heidi/merge") == ["alice/llama-ft", ROOT]

    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model) RETURN m.id AS id, m.declared_license AS license, m.license_name AS name, "
        "m.license_link AS link, m.gated AS gated, m.source_url AS url, m.downloads AS downloads"
    )
    models = {r["id"]: r for r in records}
    assert models["dave/other-license"]["name"] == "dave-community"
    assert models["dave/other-license"]["link"] == "https://example.com/LICENSE"
    assert models[ROOT]["gated"] == "manual" and models["frank/gated-auto"]["gated"] == "auto"
    assert models["judy/plain"]["url"] == row_url(dump, 9)
    # the same id twice, in two batches, both claiming the dump's one instant (docs/import.md): the later row's
    # properties win, the versioned licence keeps the first row's (the writer opens a version only for a later time),
    # and each row is evidence of its own
    assert models["grace/dup"]["url"] == row_url(dump, 10) and models["grace/dup"]["downloads"] == 999
    declared, _, _ = clean_graph.execute_query(
        "MATCH (:Model {id: 'grace/dup'})-[d:DECLARES]->(l:License) RETURN l.id AS id, d.valid_to AS until")
    assert [(r["id"], r["until"]) for r in declared] == [("mit", None)]


def test_bad_rows_are_problems_with_their_row_and_the_import_goes_on(clean_graph: Driver, tmp_path: Path) -> None:
    path = write_dump(tmp_path / "models.parquet", BAD_ROWS + CLEAN_ROWS)
    report = _import(clean_graph, path)
    dump = open_dump(path)
    assert report.rows_read == len(BAD_ROWS) + len(CLEAN_ROWS)
    assert report.rows_without_model == 2  # no id; an invalid id
    assert report.models == len(BAD_ROWS) + len(CLEAN_ROWS) - 2
    assert report.samples["invalid_repo_id"][:2] == [
        "row=1 id: no id", "row=2 id: 'not a valid/id/at all' has more than one '/'"]
    assert any(s.startswith("row=0 erin/malformed-card: cardData is not JSON") for s in report.samples["malformed_card"])
    assert any(s.startswith("row=3 kim/bad-base-models: baseModels.models") for s in report.samples["invalid_base_model"])
    assert report.problems["self_reference"] == 1  # the parser's own problems are counted too

    records, _, _ = clean_graph.execute_query(
        "MATCH (m:Model {id: 'erin/malformed-card'}) RETURN m.problem_kind AS kinds, m.problem_url AS urls")
    assert records[0]["kinds"] == ["malformed_card"] and records[0]["urls"] == [row_url(dump, 0)]
    up = reads.ancestors(clean_graph, "erin/malformed-card")  # the tags still give its lineage
    assert up.roots == (ROOT,)


def test_a_limit_and_a_checkpoint_let_an_import_go_in_parts_to_the_same_graph(clean_graph: Driver, tmp_path: Path) -> None:
    path = write_dump(tmp_path / "models.parquet", CLEAN_ROWS, row_group_size=3)
    _import(clean_graph, path)
    whole = graph_fingerprint(clean_graph)

    _wipe(clean_graph)
    keeper = Checkpoint(tmp_path / "cp.json")
    first = _import(clean_graph, path, limit=5, checkpoint=keeper)
    assert (first.rows_read, first.next_row) == (5, 5)
    second = _import(clean_graph, path, checkpoint=keeper, resume=True)
    assert (second.start_row, second.rows_read, second.next_row) == (5, 6, 11)
    assert graph_fingerprint(clean_graph) == whole
    again = _import(clean_graph, path, checkpoint=keeper, resume=True)
    assert again.rows_read == 0
