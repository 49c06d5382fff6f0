"""Statements of the graph's schema: creating a constraint or an index, listing what exists, waiting.

Names, patterns and properties come only from the fixed list of :mod:`graph.schema`.
"""

from __future__ import annotations

__all__ = ["AWAIT_INDEXES", "BACKFILL_SEARCH_ID", "PRESENT", "constraint_statement", "index_statement", "text_index_statement"]


def constraint_statement(name: str, pattern: str, prop: str) -> str:
    """A uniqueness constraint, created only when absent."""
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR {pattern} REQUIRE {prop} IS UNIQUE"


def index_statement(name: str, pattern: str, prop: str) -> str:
    """A range index, created only when absent."""
    return f"CREATE INDEX {name} IF NOT EXISTS FOR {pattern} ON ({prop})"


def text_index_statement(name: str, pattern: str, prop: str) -> str:
    """A text index (trigram: answers ``CONTAINS`` / ``ENDS WITH`` on strings), created only when absent."""
    return f"CREATE TEXT INDEX {name} IF NOT EXISTS FOR {pattern} ON ({prop})"


# Models written before ``search_id`` existed get it (the writer sets it when it creates a model).
BACKFILL_SEARCH_ID = """
MATCH (m:Model) WHERE m.search_id IS NULL
CALL (m) { SET m.search_id = toLower(m.id) } IN TRANSACTIONS OF 10000 ROWS
"""


# what exists: constraints by name, and indexes by name unless their population failed
# (a constraint's backing index is listed under the constraint's name)
PRESENT = "SHOW INDEXES YIELD name, state WHERE state <> 'FAILED' RETURN name"

AWAIT_INDEXES = "CALL db.awaitIndexes($seconds)"
