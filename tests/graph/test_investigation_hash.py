"""The content hash of a dossier: recomputable from its JSON, blind to facts it does not show,
changed by any fact it shows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from neo4j import Driver

from crawler.observations import DeclaredLicense, DerivationSeen, EvidenceKind, ModelSeen, Relation, Source
from reports.dossier import content_hash, dumps, investigate
from graph.writer import GraphWriter
from tests.support.families import GGUF, GGUF_BASE, GGUF_PARENT, written_families

pytestmark = pytest.mark.integration


@pytest.fixture
def graph(neo4j_driver: Driver) -> Iterator[Driver]:
    with written_families(neo4j_driver):
        yield neo4j_driver


def test_the_hash_covers_what_is_shown_and_only_that(graph: Driver) -> None:
    before = investigate(graph, GGUF)
    data = json.loads(dumps(before.to_json_dict()))
    assert data["content_hash"] == before.content_hash
    assert content_hash({k: v for k, v in data.items() if k not in ("content_hash", "generated_at")}) == data[
        "content_hash"
    ]

    later = datetime.now(UTC)  # after every observation of the families
    writer = GraphWriter(graph)
    unrelated = ModelSeen(id="someone/unrelated", source=Source("https://hub.test/api/models/someone/unrelated",
                                                                 "r1", later), declared_license=DeclaredLicense("mit"), author="someone")
    writer.write([unrelated], run_id="unrelated")
    assert investigate(graph, GGUF).content_hash == before.content_hash

    # a new piece of evidence for a derivation the dossier shows
    piece = DerivationSeen(
        child_id=GGUF_PARENT, parent_id=GGUF_BASE, relation=Relation.FINETUNE,
        evidence_kind=EvidenceKind.CONFIG_NAME_OR_PATH, evidence_detail=f"config.json _name_or_path {GGUF_BASE}",
        confidence=0.8, source=Source(f"https://hub.test/api/models/{GGUF_PARENT}/config.json", "c0ffee", later),
    )
    writer.write([piece], run_id="more-evidence")
    with_piece = investigate(graph, GGUF)
    assert with_piece.content_hash != before.content_hash
    assert any(e.revision == "c0ffee" for e in with_piece.evidence)

    # a licence change of the base, observed now
    changed_at = later + timedelta(milliseconds=1)
    source = Source(f"https://hub.test/api/models/{GGUF_BASE}", "b2", changed_at)
    relicensed = ModelSeen(id=GGUF_BASE, source=source, declared_license=DeclaredLicense("apache-2.0"), author="google")
    writer.write([relicensed], run_id="relicense")
    after = investigate(graph, GGUF)
    assert after.content_hash != with_piece.content_hash
    assert after.model(GGUF_BASE) is not None and after.model(GGUF_BASE).license == "apache-2.0"  # type: ignore[union-attr]
    # asked as of an instant before the change, the licence then is still gemma
    then = investigate(graph, GGUF, as_of=later)
    assert then.model(GGUF_BASE).license == "gemma"  # type: ignore[union-attr]
