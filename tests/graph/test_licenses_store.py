"""Loading the knowledge base into Neo4j: idempotent, one UNWIND per kind, stale pairs removed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from neo4j import Driver

from terms.licenses import DATA_DIR, LicenseCatalog, default_catalog
from graph.knowledge_base.store import load_catalog

pytestmark = pytest.mark.integration


def _counts(driver: Driver) -> tuple[int, int, int]:
    records, _, _ = driver.execute_query(
        "MATCH (l:License) WITH count(l) AS l "
        "MATCH (t:Term) WITH l, count(t) AS t "
        "OPTIONAL MATCH (:License)-[r:IMPOSES]->(:Term) RETURN l, t, count(r) AS r")
    row = records[0]
    return int(row["l"]), int(row["t"]), int(row["r"])


def test_load_is_idempotent(clean_graph: Driver) -> None:
    catalog = default_catalog()
    first = load_catalog(clean_graph, catalog)
    assert _counts(clean_graph) == (first.licenses, first.terms, first.imposes)
    second = load_catalog(clean_graph, catalog)
    assert second.stale_imposes_removed == 0
    assert _counts(clean_graph) == (first.licenses, first.terms, first.imposes)
    records, _, _ = clean_graph.execute_query(
        "MATCH (l:License {id: $id})-[:IMPOSES]->(t:Term {kind: 'threshold'}) RETURN l.commercial_status AS s, "
        "t.amount AS amount", id="llama3.1")
    assert [(r["s"], r["amount"]) for r in records] == [("conditional", 700_000_000)]
    records, _, _ = clean_graph.execute_query(
        "MATCH (l:License)-[:IMPOSES]->(:Term {id: 'restriction:military'}) RETURN count(l) AS n")
    assert records[0]["n"] >= 4
    records, _, _ = clean_graph.execute_query(
        "MATCH (l:License)-[r:IMPOSES]->(:Term {id: 'restriction:disinformation'}) WHERE l.id IN $ids "
        "RETURN l.id AS id, r.section AS section ORDER BY id", ids=["deepseek", "gemma", "llama3.1"])
    assert [(r["id"], r["section"]) for r in records] == [
        ("deepseek", "Attachment A (d)"), ("gemma", "PUP §2.3.2; PUP §3.3"),
        ("llama3.1", "AUP §3.a")]


def test_a_new_version_removes_pairs_it_no_longer_has(clean_graph: Driver, tmp_path: Path) -> None:
    load_catalog(clean_graph, default_catalog())
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    taxonomy = data / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8").replace('kb_version: "', 'kb_version: "test-'),
                        encoding="utf-8")
    gemma = data / "licenses" / "gemma.yaml"
    gemma.write_text(re.sub(r"      - \{id: spam_malware,[^\n]*\n", "", gemma.read_text(encoding="utf-8")),
                     encoding="utf-8")
    report = load_catalog(clean_graph, LicenseCatalog.load(data))
    assert report.stale_imposes_removed == 1
    records, _, _ = clean_graph.execute_query(
        "MATCH (:License {id: 'gemma'})-[r:IMPOSES]->(:Term {id: 'restriction:spam_malware'}) RETURN count(r) AS n")
    assert records[0]["n"] == 0
