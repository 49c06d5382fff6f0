"""The schema is made by migrate only: it creates what is missing, reports what existed, and a check
names what is missing without changing anything; every transaction stops at its timeout."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from neo4j import Driver

from graph.db import sync_driver, write_query
from graph.errors import GraphTimeout, translated
from graph.schema import SCHEMA, migrate, missing_schema
from graph.settings import Neo4jSettings

pytestmark = pytest.mark.integration

EXPECTED_UNIQUE = {
    ("Model", "id"), ("Party", "id"), ("License", "id"), ("Term", "id"),
    ("Deployment", "id"), ("Dataset", "id"), ("File", "sha256"),
}
DROPPED = ("model_stale", "party_id")


def _constraints(driver: Driver) -> list[tuple[str, str, str]]:
    records, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "RETURN name, type, labelsOrTypes[0] AS label, properties[0] AS property ORDER BY name"
    )
    return [(r["name"], r["label"], r["property"]) for r in records if r["type"] == "UNIQUENESS"]


def _drop(driver: Driver, names: tuple[str, ...]) -> None:
    for item in SCHEMA:
        if item.name in names:
            driver.execute_query(f"DROP {item.kind.upper()} {item.name} IF EXISTS")


@pytest.fixture
def partly_migrated(neo4j_driver: Driver) -> Iterator[Driver]:
    """The session graph with two schema items dropped; migrated again afterwards."""
    _drop(neo4j_driver, DROPPED)
    try:
        yield neo4j_driver
    finally:
        migrate(neo4j_driver)


def test_migrate_twice_leaves_the_same_constraints(neo4j_driver: Driver) -> None:
    migrate(neo4j_driver)
    first = _constraints(neo4j_driver)
    again = migrate(neo4j_driver)
    assert _constraints(neo4j_driver) == first
    assert again.created == ()
    assert set(again.existing) == {item.name for item in SCHEMA}
    assert EXPECTED_UNIQUE <= {(label, prop) for _, label, prop in first}


def test_the_check_names_what_is_missing_and_changes_nothing(partly_migrated: Driver) -> None:
    assert set(missing_schema(partly_migrated)) == set(DROPPED)
    assert set(missing_schema(partly_migrated)) == set(DROPPED)  # checking twice created nothing
    report = migrate(partly_migrated)
    assert set(report.created) == set(DROPPED)
    assert set(report.existing) == {item.name for item in SCHEMA} - set(DROPPED)
    assert missing_schema(partly_migrated) == ()


def test_migrations_at_the_same_moment_both_succeed_and_create_each_item_once(
    partly_migrated: Driver, neo4j_settings: Neo4jSettings
) -> None:
    reports, errors = [], []

    def run() -> None:
        try:
            with sync_driver(neo4j_settings) as driver:
                reports.append(migrate(driver))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(reports) == 2
    created = [name for report in reports for name in report.created]
    assert sorted(created) == sorted(DROPPED)
    assert missing_schema(partly_migrated) == ()


def test_uniqueness_is_enforced(clean_graph: Driver) -> None:
    from neo4j.exceptions import ConstraintError

    clean_graph.execute_query("CREATE (:Model {id: 'dup/model'})")
    with pytest.raises(ConstraintError):
        clean_graph.execute_query("CREATE (:Model {id: 'dup/model'})")


def test_a_write_waiting_on_a_lock_stops_at_its_timeout_with_a_timeout_error(
    clean_graph: Driver, neo4j_settings: Neo4jSettings
) -> None:
    clean_graph.execute_query("CREATE (:Model {id: 'locked/model'})")
    impatient = sync_driver(neo4j_settings.model_copy(update={"write_timeout_s": 1.0}))
    with clean_graph.session() as holder:
        tx = holder.begin_transaction()
        try:
            tx.run("MATCH (m:Model {id: 'locked/model'}) SET m.holder = true").consume()
            with pytest.raises(GraphTimeout, match="NEO4J_WRITE_TIMEOUT_S"), translated():
                impatient.execute_query(
                    write_query(impatient, "MATCH (m:Model {id: 'locked/model'}) SET m.waiter = true")
                )
        finally:
            tx.rollback()
            impatient.close()
    records, _, _ = clean_graph.execute_query("MATCH (m:Model {id: 'locked/model'}) RETURN m.waiter AS waiter")
    assert records[0]["waiter"] is None
