"""Load the licence knowledge base into Neo4j: ``License``/``Term`` nodes and ``IMPOSES`` pairs.

Idempotent: one ``UNWIND $rows … MERGE`` per kind (:mod:`graph.statements.knowledge_base`),
properties replaced from the rows, and ``IMPOSES`` pairs that the current knowledge-base version
no longer has are removed. Values are always parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired, TransientError

from graph.db import write_work
from terms.licenses.catalog import LicenseCatalog, default_catalog
from terms.licenses.errors import LicenseStoreRejected, LicenseStoreUnavailable
from graph.knowledge_base.rows import LicenseGraphRows, graph_rows
from graph.statements import knowledge_base as q

__all__ = ["LoadReport", "load_catalog"]

log = structlog.get_logger(__name__)

@dataclass(frozen=True, slots=True)
class LoadReport:
    kb_version: str
    licenses: int
    terms: int
    imposes: int
    stale_imposes_removed: int


def _write(tx: ManagedTransaction, rows: LicenseGraphRows) -> int:
    for statement, batch in ((q.MERGE_LICENSES, rows.licenses), (q.MERGE_TERMS, rows.terms)):
        tx.run(statement, rows=list(batch)).consume()
    tx.run(q.MERGE_IMPOSES, rows=list(rows.imposes), kb_version=rows.kb_version).consume()
    record = tx.run(q.DELETE_STALE_IMPOSES, kb_version=rows.kb_version).single()
    return int(record["removed"]) if record else 0


def load_catalog(driver: Driver, catalog: LicenseCatalog | None = None, *, database: str = "neo4j") -> LoadReport:
    """Write the whole knowledge base in one transaction; safe to run again at any time."""
    rows = graph_rows(catalog or default_catalog())
    try:
        with driver.session(database=database) as session:
            removed = session.execute_write(write_work(driver, _write), rows)
    except (ServiceUnavailable, SessionExpired, TransientError) as exc:
        raise LicenseStoreUnavailable(f"could not load the licence knowledge base: {exc}") from exc
    except Neo4jError as exc:
        raise LicenseStoreRejected(f"Neo4j rejected the licence knowledge base: {exc}") from exc
    report = LoadReport(rows.kb_version, len(rows.licenses), len(rows.terms), len(rows.imposes), removed)
    log.info("license_catalog_loaded", kb_version=report.kb_version, licenses=report.licenses, terms=report.terms)
    return report
