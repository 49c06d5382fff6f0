"""Neo4j stopped for 30 s in the middle of an import: the batch that failed is written again with bounded backoff,
the import resumes from it and completes, and the graph is the one an undisturbed import gives (nothing lost,
nothing changed by writing a batch twice)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from bench.parquet_import import synthetic_dump
from dumps.importer import Checkpoint, DumpImporter
from dumps.reader import open_dump
from dumps.report import ImportReport
from dumps.settings import ImportSettings
from graph.db import sync_driver
from graph.schema import ensure_schema
from graph.settings import Neo4jSettings
from graph.writer import GraphWriter
from lineage.stack import Neo4jServer, StackSettings
from tests.support.crawl import graph_fingerprint
from tests.support.stack import WIPE, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS = 3000
SETTINGS = ImportSettings(batch_rows=100, retry_max_wait_s=120, retry_backoff_base_s=0.5, retry_backoff_max_s=4)


@pytest.fixture(scope="module")
def own_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    settings = StackSettings(state_dir=tmp_path_factory.mktemp("import-outage"), neo4j_port=free_port(),
                             redis_port=free_port(), neo4j_heap_mb=512, neo4j_pagecache_mb=128)
    server = Neo4jServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_neo4j_stopped_for_30_seconds_mid_import_the_batch_is_retried_and_the_import_completes(
    own_neo4j: Neo4jServer, tmp_path: Path
) -> None:
    path = synthetic_dump(tmp_path / "models.parquet", ROWS, seed=3, row_group_rows=1000)
    dump = open_dump(path)
    # The driver's own retry window (30 s by default, with backoff sleeps of up to ~20 s) could otherwise
    # outlast the outage, and the importer's policy, the thing under test, would never see a failure.
    driver: Driver = sync_driver(Neo4jSettings(uri=own_neo4j.url, connect_timeout_s=2, transaction_retry_s=1))
    try:
        ensure_schema(driver)
        past_500 = threading.Event()
        outcome: list[ImportReport | BaseException] = []

        def seen(report: ImportReport) -> None:
            if report.next_row >= 500:
                past_500.set()

        def run() -> None:
            try:
                importer = DumpImporter(GraphWriter(driver), SETTINGS, on_batch=seen)
                outcome.append(importer.run(dump, checkpoint=Checkpoint(tmp_path / "cp.json")))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)
                past_500.set()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        assert past_500.wait(300)
        own_neo4j.stop()
        stopped_at = time.monotonic()
        time.sleep(30)
        assert worker.is_alive() and not outcome  # nothing can be written without the graph, and it waits
        own_neo4j.start()
        worker.join(600)
        assert time.monotonic() - stopped_at >= 30
        assert len(outcome) == 1 and isinstance(outcome[0], ImportReport), outcome
        report = outcome[0]
        assert (report.rows_read, report.next_row) == (ROWS, ROWS)
        assert report.retries > 0 and report.retry_wait_s <= SETTINGS.retry_max_wait_s
        disturbed = graph_fingerprint(driver)
        records, _, _ = driver.execute_query("MATCH (m:Model) WHERE m.closure_dirty RETURN count(m) AS n")
        assert records[0]["n"] == 0

        with driver.session() as session:
            session.run(WIPE).consume()
        DumpImporter(GraphWriter(driver), SETTINGS).run(dump)
        undisturbed = graph_fingerprint(driver)
        assert len(disturbed[0]) == len(undisturbed[0]) and len(disturbed[1]) == len(undisturbed[1])
        assert disturbed == undisturbed
    finally:
        driver.close()
