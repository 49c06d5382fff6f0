"""The bundled real snapshot crawled into the test graph (for the API tests), without Celery.

:func:`crawl_bundled` serves the bundled snapshot with the replay hub and crawls it with
``HubSource`` asking for history (``CrawlerSettings.history``): every model of the snapshot
upwards, and from each model that declares no base model also two levels of children down and
its deployers, written as one batch (as one crawl run). Each model read (not the children
listed) comes with its commit history from the replay hub (crawler.history), so its licence and
base-model versions are dated by commit time: the recorded commit lists where the snapshot keeps
them (the relicensed fixture's two revisions: apache-2.0, then llama3.1), the head commit dated
``lastModified`` otherwise; a model whose snapshot record has neither keeps observation time.
Propagation results are then materialised for every model (``recompute_all``), as ``lineage
propagate --all`` does. The batches are kept in memory so that a graph emptied by another test can be refilled
(:meth:`BundledGraph.ensure`) without crawling again.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import Driver

from crawler.observations import Observation
from hubreplay.serve import serve_in_thread
from crawler.settings import CrawlerSettings
from hubreplay.snapshot import bundled_snapshot_path
from crawler.source import HubSource
from graph.results.recompute import recompute_all
from graph.writer import GraphWriter

__all__ = ["BundledGraph", "Batch", "crawl_bundled", "roots_of_snapshot"]

MARKER = "meta-llama/Llama-3.1-8B-Instruct"


@dataclass(frozen=True)
class Batch:
    observations: tuple[Observation, ...]
    run_id: str


@dataclass
class BundledGraph:
    """The crawled batches, the driver they were written with, and how many models landed."""

    driver: Driver
    batches: list[Batch]
    models: int = 0
    history_ids: tuple[str, ...] = field(default=())

    def write(self) -> None:
        """Write every batch, then materialise propagation results for every model."""
        writer = GraphWriter(self.driver)
        for batch in self.batches:
            writer.write(batch.observations, run_id=batch.run_id)
        recompute_all(self.driver)
        records, _, _ = self.driver.execute_query("MATCH (m:Model) RETURN count(m) AS n")
        self.models = int(records[0]["n"])

    def ensure(self) -> None:
        """Write the batches again if the graph no longer holds them all (another test emptied it, or wrote
        a smaller family of its own over it): the graph is wiped first, so nothing of that test remains.
        Models other tests added beside the bundled ones are left alone."""
        records, _, _ = self.driver.execute_query(
            "MATCH (m:Model) RETURN count(m) AS n, count(CASE WHEN m.id = $id THEN 1 END) AS marker", {"id": MARKER}
        )
        if int(records[0]["marker"]) == 0 or int(records[0]["n"]) < self.models:
            from tests.support.stack import WIPE

            with self.driver.session() as session:
                session.run(WIPE).consume()
            self.write()


def snapshot_models(folder: Path | None = None) -> tuple[list[str], list[str]]:
    """(every model id, the ids that declare no base model by tag or card) of the snapshot, sorted."""
    path = (folder or bundled_snapshot_path()) / "models.jsonl.gz"
    everything, roots = [], []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            everything.append(str(row["id"]))
            tags = row.get("tags") or []
            card = row.get("cardData") or {}
            if not any(str(t).startswith("base_model:") for t in tags) and not card.get("base_model"):
                roots.append(str(row["id"]))
    return sorted(everything), sorted(roots)


def roots_of_snapshot(folder: Path | None = None) -> list[str]:
    """Models of the snapshot that declare no base model (tag or card)."""
    return snapshot_models(folder)[1]


def crawl_bundled(driver: Driver, *, down: int = 2) -> BundledGraph:
    """Serve and crawl the bundled snapshot, write it, and return what was written."""
    manifest = json.loads((bundled_snapshot_path() / "manifest.json").read_text())
    history = manifest.get("highlights", {}).get("history", {})
    history_ids = [str(history["id"])] if history.get("id") else []
    batches: list[Batch] = []
    everything, roots = snapshot_models()
    wide = set(roots)
    with serve_in_thread() as hub:
        settings = CrawlerSettings(endpoint=hub.url, max_retries=0, history=True)
        crawled: list[Observation] = []
        with HubSource(settings) as source:
            for model_id in everything:
                if model_id in wide:
                    crawled.extend(source.iter_observations(model_id, up=True, down=down, deployers=True))
                else:
                    crawled.extend(source.iter_up(model_id))
        batches.append(Batch(tuple(crawled), "bundled-crawl"))
    graph = BundledGraph(driver, batches, history_ids=tuple(history_ids))
    graph.write()
    return graph
