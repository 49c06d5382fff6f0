"""The full recompute shared among the propagation workers: a Celery group of pages, waited for with a bound."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

import pytest
from neo4j import Driver

from crawler.observations import DeclaredLicense
from graph.results.recompute import recompute_all
from graph.writer import GraphWriter
from tests.support.observations import derived, seen
from workers import propagation_fanout
from workers.errors import RecomputeIncomplete
from workers.propagation_fanout import recompute_all_models

# a family across several pages of 2 ids: parents and children land in different tasks
FAMILY = [
    ("a/root", "llama3.1", []),
    ("b/child", "apache-2.0", ["a/root"]),
    ("c/grandchild", None, ["b/child"]),
    ("d/other-root", "mit", []),
    ("e/merge", "apache-2.0", ["c/grandchild", "d/other-root"]),
]


def _stored(driver: Driver) -> dict[str, dict[str, Any]]:
    records, _, _ = driver.execute_query("MATCH (m:Model) RETURN m.id AS id, m.eff_json AS json, m.eff_agg_key AS key")
    return {r["id"]: {"json": r["json"], "key": r["key"]} for r in records}


@pytest.mark.integration
def test_the_workers_store_what_the_in_process_recompute_stores(
    celery_worker: subprocess.Popen[bytes], clean_graph: Driver
) -> None:
    observations: list[Any] = []
    for model_id, licence, parents in FAMILY:
        declared = None if licence is None else DeclaredLicense(id=licence)
        observations.append(seen(model_id, 0, author=model_id.split("/")[0], declared_license=declared))
        observations.extend(derived(model_id, parent, 0) for parent in parents)
    GraphWriter(clean_graph).write(observations, run_id="crawl-1")
    recompute_all(clean_graph)
    local = _stored(clean_graph)
    clean_graph.execute_query("MATCH (m:Model) REMOVE m.eff_json, m.eff_agg_key, m.eff_version")
    seen_progress: list[tuple[int, int]] = []
    report = recompute_all_models(clean_graph, page_size=2, timeout_s=120,
                                  progress=lambda done, total: seen_progress.append((done, total)))
    assert report.asked == len(FAMILY) and report.computed == len(FAMILY)
    assert report.transactions >= 3  # one write per page at least: the pages were separate tasks
    assert _stored(clean_graph) == local
    assert seen_progress[-1] == (len(FAMILY), len(FAMILY))


@dataclass
class _Page:
    state: str


@dataclass
class _Group:
    results: list[_Page]


def test_the_wait_stops_at_a_failed_page_and_at_its_deadline() -> None:
    pages = [["a", "b"], ["c"]]
    progress: list[tuple[int, int]] = []
    propagation_fanout._wait(_Group([_Page("SUCCESS"), _Page("FAILURE")]), pages, 3, 10, None, lambda _: None)  # type: ignore[arg-type]
    slept: list[float] = []
    with pytest.raises(RecomputeIncomplete, match="2 of 3 models stored"):
        propagation_fanout._wait(_Group([_Page("SUCCESS"), _Page("PENDING")]), pages, 3, 0,  # type: ignore[arg-type]
                                 lambda done, total: progress.append((done, total)), slept.append)
    assert progress == [(2, 3)] and slept == []
    propagation_fanout._wait(_Group([_Page("SUCCESS"), _Page("SUCCESS")]), pages, 3, 0, None, slept.append)  # type: ignore[arg-type]


@dataclass
class _Finished:
    state: str
    result: Any = None


class _Sent:
    """A group whose second page failed."""

    id = "group-1"

    def __init__(self) -> None:
        self.results = [_Finished("SUCCESS", {}), _Finished("FAILURE", ValueError("page broke"))]
        self.revoked = self.forgotten = False

    def revoke(self) -> None:
        self.revoked = True

    def forget(self) -> None:
        self.forgotten = True


def test_a_failed_page_fails_the_recompute_and_revokes_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _Sent()
    monkeypatch.setattr(propagation_fanout, "propagation_workers", lambda: ["worker@host"])
    monkeypatch.setattr(propagation_fanout, "load_knowledge_base", lambda driver, database: 3)
    monkeypatch.setattr(propagation_fanout, "model_pages", lambda driver, database, page_size: iter([["a", "b"], ["c"]]))
    monkeypatch.setattr(propagation_fanout, "group", lambda signatures: type("G", (), {"apply_async": lambda self: sent})())
    with pytest.raises(RecomputeIncomplete, match="1 page.* failed, first: ValueError: page broke"):
        recompute_all_models(None, timeout_s=5)  # type: ignore[arg-type]
    assert sent.revoked and sent.forgotten


def test_without_a_propagation_worker_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(propagation_fanout, "propagation_workers", lambda: [])
    monkeypatch.setattr(propagation_fanout, "load_knowledge_base", lambda *a, **k: pytest.fail("nothing is loaded"))
    with pytest.raises(RecomputeIncomplete, match="no worker consumes the 'propagation' queue"):
        recompute_all_models(None)  # type: ignore[arg-type]
