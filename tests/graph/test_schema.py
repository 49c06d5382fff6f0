"""Schema bootstrap creates every constraint once and is idempotent."""

from __future__ import annotations

import pytest
from neo4j import Driver

from graph.schema import ensure_schema

pytestmark = pytest.mark.integration

EXPECTED_UNIQUE = {
    ("Model", "id"), ("Party", "id"), ("License", "id"), ("Term", "id"),
    ("Deployment", "id"), ("Dataset", "id"), ("File", "sha256"),
}


def _constraints(driver: Driver) -> list[tuple[str, str, str]]:
    records, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "RETURN name, type, labelsOrTypes[0] AS label, properties[0] AS property ORDER BY name"
    )
    return [(r["name"], r["label"], r["property"]) for r in records if r["type"] == "UNIQUENESS"]


def test_bootstrap_twice_leaves_the_same_constraints(neo4j_driver: Driver) -> None:
    ensure_schema(neo4j_driver)
    first = _constraints(neo4j_driver)
    ensure_schema(neo4j_driver)
    assert _constraints(neo4j_driver) == first
    assert EXPECTED_UNIQUE <= {(label, prop) for _, label, prop in first}


def test_uniqueness_is_enforced(clean_graph: Driver) -> None:
    from neo4j.exceptions import ConstraintError

    clean_graph.execute_query("CREATE (:Model {id: 'dup/model'})")
    with pytest.raises(ConstraintError):
        clean_graph.execute_query("CREATE (:Model {id: 'dup/model'})")
