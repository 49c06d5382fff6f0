"""A few real families of the bundled snapshot, crawled into the test graph for the dossier tests.

Served by the replay hub and crawled with ``HubSource`` (no Celery), then written with the
``GraphWriter``:

* ``bartowski/gemma-2-9b-it-GGUF``: a GGUF quantization → ``google/gemma-2-9b-it`` (fine-tune)
  → ``google/gemma-2-9b`` (original);
* ``lineage-fixtures/Llama-3.1-8B-relicensed-ft``: its two recorded revisions first (apache-2.0
  on 2024-08-01, llama3.1 on 2024-10-15), each observed at its commit's date, then a crawl;
* ``lineage-fixtures/orphan-of-deleted-base``: a fine-tune of a deleted base;
* ``Q-bert/MetaMath-Cybertron-Starling``: a cc-by-nc-4.0 merge of a merge (several paths);
* ``meta-llama/Llama-3.1-8B-Instruct`` with its deployers (Spaces, inference providers): a
  gated model whose base is named by an old id.

The snapshot records no LFS hashes, so one weight file (bytes made here, their real sha256)
is recorded as a ``FileSeen`` of the GGUF repo, as the crawler records LFS files.
The observations are made once per test session and written again wherever a test needs them
(:func:`written_families` empties the graph, writes them, and empties it again afterwards).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from huggingface_hub import HfApi
from neo4j import Driver

from crawler.observations import FileSeen, Observation, Relation, Source
from crawler.parsing import parse_model
from hubreplay.serve import serve_in_thread
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from graph.writer import GraphWriter

from tests.support.stack import WIPE

__all__ = [
    "DELETED_CHILD",
    "GGUF",
    "GGUF_BASE",
    "GGUF_PARENT",
    "INSTRUCT",
    "MERGE",
    "RELICENSED",
    "WEIGHTS",
    "Families",
    "families_observations",
    "write_families",
    "written_families",
]

GGUF = "bartowski/gemma-2-9b-it-GGUF"
GGUF_PARENT = "google/gemma-2-9b-it"
GGUF_BASE = "google/gemma-2-9b"
RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
DELETED_CHILD = "lineage-fixtures/orphan-of-deleted-base"
MERGE = "Q-bert/MetaMath-Cybertron-Starling"
INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
SEEDS = (GGUF, RELICENSED, DELETED_CHILD, MERGE, INSTRUCT)

WEIGHTS = b"GGUF\x03\x00\x00\x00 lineage test weights for gemma-2-9b-it Q4_K_M\n" * 64
"""Bytes standing in for a weight file; their sha256 is what an investigator would hold."""


@dataclass(frozen=True)
class Batch:
    observations: tuple[Observation, ...]
    run_id: str


@dataclass(frozen=True)
class Families:
    batches: tuple[Batch, ...]
    weights_sha256: str


def _history(api: HfApi, endpoint: str, model_id: str) -> list[Batch]:
    out = []
    for commit in sorted(api.list_repo_commits(model_id), key=lambda c: c.created_at):
        info = api.model_info(model_id, revision=commit.commit_id)
        source = Source(url=f"{endpoint}/api/models/{model_id}/revision/{commit.commit_id}",
                        revision=commit.commit_id, observed_at=commit.created_at)
        parsed = parse_model(info, source, model_id=model_id, fallback_relation=Relation.FINETUNE, max_siblings=1000)
        out.append(Batch((parsed.model, *parsed.declared.derivations), f"history-{commit.commit_id[:12]}"))
    return out


@lru_cache(maxsize=1)
def families_observations() -> Families:
    """Crawl the families once per session (the replay hub runs only while crawling)."""
    sha = hashlib.sha256(WEIGHTS).hexdigest()
    with serve_in_thread() as hub:
        batches = _history(HfApi(endpoint=hub.url), hub.url, RELICENSED)
        crawled: list[Observation] = []
        with HubSource(CrawlerSettings(endpoint=hub.url, max_retries=0)) as source:
            for seed in SEEDS:
                crawled.extend(source.iter_observations(seed, up=True, down=0, deployers=seed == INSTRUCT))
        crawled.append(FileSeen(
            model_id=GGUF, name="gemma-2-9b-it-Q4_K_M.gguf", size=len(WEIGHTS), sha256=sha,
            source=Source(url=f"{hub.url}/api/models/{GGUF}/tree/main", revision=None,
                          observed_at=datetime(2025, 1, 10, 12, 0, tzinfo=UTC)),
        ))
        batches.append(Batch(tuple(crawled), "families"))
    return Families(tuple(batches), sha)


def write_families(driver: Driver) -> Families:
    """Write the families into the (emptied) graph, history first."""
    families = families_observations()
    writer = GraphWriter(driver)
    for batch in families.batches:
        writer.write(batch.observations, run_id=batch.run_id)
    return families


def _wipe(driver: Driver) -> None:
    with driver.session(database="neo4j") as session:
        session.run(WIPE).consume()


@contextmanager
def written_families(driver: Driver) -> Iterator[Families]:
    """The families alone in the graph while the block runs; the graph is emptied before and after
    (no partial graph is left to later tests)."""
    _wipe(driver)
    families = write_families(driver)
    try:
        yield families
    finally:
        _wipe(driver)
