"""The watch-matching benchmark run small on a synthetic graph (real Neo4j), and its scenario-2 check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import Driver

from bench.load import load
from bench.synth import SynthGraph
from bench.watch_matching import (
    BATCH,
    FAMILY_BATCH,
    FAMILY_OWNER,
    OWNER,
    BenchCheckFailed,
    FamilySetup,
    check_family,
    clean,
    markdown,
    probe,
    run,
    setup,
)


def _count(driver: Driver, statement: str, **params: Any) -> int:
    return int(driver.execute_query(statement, params)[0][0]["n"])


@pytest.mark.integration
def test_a_small_run_dispatches_every_run_alike_and_clean_removes_everything(clean_graph: Driver) -> None:
    load(clean_graph, SynthGraph.generate(1500, seed=7), models_per_write=1500)
    before = _count(clean_graph, "MATCH (n) RETURN count(n) AS n")

    figures = run(clean_graph, watches=200, changes=200, runs=2, family_limit=None)
    print(markdown(figures), figures["verdict"], figures["family"], sep="\n")

    first, second = figures["runs"]
    assert first["changes"] == second["changes"] == 200
    assert first["watches"] == second["watches"] == 200
    assert first["events"] > 0
    assert second["events"] == first["events"]  # the reset makes the second run dispatch everything again
    parts = first["seconds_by"]
    assert first["matching_s"] == pytest.approx(parts["read"] + parts["ancestry"] + parts["match"], abs=0.002)
    family = figures["family"]
    assert family["root"] == probe(clean_graph).roots[0][0]
    assert family["root_event_total"] == family["family"] + 1  # the relicensing and every descendant's terms
    assert family["events"] >= family["root_watches"] + family["model_watches"]

    found = probe(clean_graph)
    assert setup(clean_graph, found, watches=200, changes=200) == "kept"

    clean(clean_graph)
    for owner in (OWNER, FAMILY_OWNER):
        assert _count(clean_graph, "MATCH (w:Watch {owner: $o}) RETURN count(w) AS n", o=owner) == 0
    for batch in (BATCH, FAMILY_BATCH):
        assert _count(clean_graph, "MATCH (c:Change {batch: $b}) RETURN count(c) AS n", b=batch) == 0
    assert _count(clean_graph, "MATCH (e:Event) RETURN count(e) AS n") == 0
    assert _count(clean_graph, "MATCH (n) RETURN count(n) AS n") == before


def _event(watch: str, total: int, counts: dict[str, int]) -> dict[str, Any]:
    return {"watchId": watch, "total": total, "counts": counts, "createdAt": datetime.now(UTC).isoformat()}


FAMILY = FamilySetup(root="org/base", family=3, changes=4, root_watches=["w_r1", "w_r2"], model_watches=["w_m1"])


def test_the_family_check_accepts_one_event_per_watch_counting_every_change() -> None:
    events = [_event("w_r1", 4, {"LICENSE_CHANGED": 1}), _event("w_r2", 4, {"LICENSE_CHANGED": 1}),
              _event("w_m1", 2, {"LICENSE_CHANGED": 1, "EFFECTIVE_TERMS_CHANGED": 1})]
    checked = check_family(FAMILY, events)
    assert checked["root_event_total"] == 4 and checked["model_event_totals_min_max"] == [2, 2]
    assert checked["family_goal_met"] is False


@pytest.mark.parametrize("events, complaint", [
    ([_event("w_r1", 4, {}), _event("w_r1", 4, {}), _event("w_r2", 4, {}), _event("w_m1", 2, {"LICENSE_CHANGED": 1})],
     "more than one event"),
    ([_event("w_r1", 4, {}), _event("w_m1", 2, {"LICENSE_CHANGED": 1})], "got no event"),
    ([_event("w_r1", 4, {}), _event("w_r2", 1, {}), _event("w_m1", 2, {"LICENSE_CHANGED": 1})], "not 4"),
    ([_event("w_r1", 4, {}), _event("w_r2", 4, {}), _event("w_m1", 1, {"EFFECTIVE_TERMS_CHANGED": 1})],
     "relicensing"),
])
def test_the_family_check_refuses_extra_missing_or_miscounted_events(events: list[dict[str, Any]],
                                                                    complaint: str) -> None:
    with pytest.raises(BenchCheckFailed, match=complaint):
        check_family(FAMILY, events)
