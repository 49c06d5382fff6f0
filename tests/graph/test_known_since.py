"""known_since: the earliest dated fact of a model (graph.reads.known_since), and the as-of reads that follow it."""

from __future__ import annotations

import pytest
from neo4j import Driver

from crawler.observations import DeclaredLicense
from graph import reads
from graph.errors import ModelNotFound, NotKnownAtInstant
from graph.reads.known_since import plan_coverage, plan_known_since
from graph.reads.models import plan_facts
from graph.reads.plan import run
from graph.writer import GraphWriter

from tests.support.observations import at, derived, seen

pytestmark = pytest.mark.integration


@pytest.fixture
def dated(clean_graph: Driver) -> Driver:
    """A child crawled at day 5 (licence mit, derived from a base); the base crawled at day 8. Then, as
    versions dated from commit history would be: the licence declared from day 3, the derivation from day 4,
    and the base's own first observation at day 8."""
    writer = GraphWriter(clean_graph)
    writer.write([seen("k/child", 5, declared_license=DeclaredLicense("mit")), derived("k/child", "k/base", 5)], run_id="r1")
    writer.write([seen("k/base", 8)], run_id="r2")
    clean_graph.execute_query("MATCH (:Model {id: 'k/child'})-[d:DECLARES]->() SET d.valid_from = $t", t=at(3))
    clean_graph.execute_query("MATCH (:Model {id: 'k/child'})-[r:DERIVED_FROM]->() SET r.valid_from = $t", t=at(4))
    clean_graph.execute_query("MATCH (m:Model {id: 'k/base'}) SET m.first_seen = $t", t=at(8))
    return clean_graph


def test_known_since_is_the_earliest_dated_fact_of_the_model_or_of_a_derivation_naming_it(dated: Driver) -> None:
    found = run(dated, plan_known_since(["k/child", "k/base", "no/such"]), None)
    assert found["k/child"].since == at(3)  # its licence version, before its first observation (day 5)
    assert found["k/base"].since == at(4)  # a child derives from it from day 4, before it was crawled (day 8)
    assert "no/such" not in found


def test_reads_at_an_instant_follow_known_since(dated: Driver) -> None:
    # known from day 3: answered then, though first observed at day 5
    assert reads.model(dated, "k/child", as_of=at(3.5)).declared_license == "mit"
    facts = run(dated, plan_facts(["k/child", "k/base"], as_of=at(3.5)), None)
    assert list(facts) == ["k/child"] and facts["k/child"].known_since == at(3)
    with pytest.raises(NotKnownAtInstant, match="k/child is not known before") as raised:
        reads.model(dated, "k/child", as_of=at(2))
    assert (raised.value.known_since, raised.value.as_of) == (at(3), at(2))
    with pytest.raises(ModelNotFound) as unknown:
        reads.model(dated, "no/such", as_of=at(2))
    assert not isinstance(unknown.value, NotKnownAtInstant)


def test_coverage_counts_the_models_not_yet_known(dated: Driver) -> None:
    early = run(dated, plan_coverage(["k/child", "k/base"], at(3.5)), None)
    assert (early.known, early.not_yet_known) == (1, 1)
    assert (early.earliest_known_since, early.latest_known_since) == (at(3), at(4))
    later = run(dated, plan_coverage(["k/child", "k/base"], at(4)), None)
    assert (later.known, later.not_yet_known) == (2, 0)
