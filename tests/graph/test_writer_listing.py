"""Listing-shaped batches: models created without the read-merge steps leave the same graph.

The same listing sweeps (``observe_listed``) are written twice into an empty graph: once with
``create_new=False`` (every row through the general upserts) and once the default way (models
new to the graph created in one statement, their derivations without reading stored versions).
The two graphs are compared whole (every node, relationship and property; element ids aside,
which no snapshot holds).
"""

from __future__ import annotations

from typing import Any

import pytest
from huggingface_hub import ModelInfo
from neo4j import Driver

from crawler.listing import observe_listed
from crawler.observations import AliasSeen, DeclaredLicense, KnownFrom, Observation, Source
from graph.writer import GraphWriter

from tests.support.observations import at, seen, snapshot, src
from tests.support.stack import WIPE

pytestmark = pytest.mark.integration


def _item(model_id: str, *, licence: str | None = "apache-2.0", tags: tuple[str, ...] = (),
          card: dict[str, Any] | None = None, gated: object = False, **extra: Any) -> dict[str, Any]:
    card = dict(card or {})
    if licence is not None:
        card.setdefault("license", licence)
    return {
        "id": model_id,
        "author": model_id.split("/")[0],
        "sha": "ab" * 20,
        "createdAt": "2025-01-02T03:04:05.000Z",
        "lastModified": "2025-02-03T04:05:06.000Z",
        "downloads": 12,
        "likes": 3,
        "gated": gated,
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "tags": ["transformers", "safetensors", *(f"license:{licence}" for _ in [1] if licence), *tags, "region:us"],
        "cardData": card or None,
        **extra,
    }


def _child(model_id: str, parent: str, relation: str = "finetune", **kw: Any) -> dict[str, Any]:
    card = {"base_model": parent, **kw.pop("card", {})}
    return _item(model_id, tags=(f"base_model:{parent}", f"base_model:{relation}:{parent}"), card=card, **kw)


def _listed(items: list[dict[str, Any]], days: float) -> list[Observation]:
    out: list[Observation] = []
    for item in items:
        source = Source(f"https://huggingface.co/api/models/{item['id']}", item["sha"], at(days))
        out.extend(observe_listed(ModelInfo(**item), source))
    return out


def _sweeps() -> list[list[Observation]]:
    first = [
        *_listed([
            _item("meta/root"),
            _item("lab/root2", licence="other", card={"license_name": "lab-licence", "license_link": "LICENSE"}),
            _child("alice/ft", "meta/root"),
            _child("bob/ft", "meta/root", licence="mit"),
            _child("carol/q", "alice/ft", "quantized", licence=None, gated="manual"),
            # card and tags disagree: the card names a second parent
            _item("dan/merge", tags=("base_model:meta/root", "base_model:merge:meta/root"),
                  card={"base_model": ["meta/root", "lab/root2"], "datasets": ["d/web"]}),
            _child("cyc/x", "cyc/y"),
            _child("eve/twice", "meta/root"),
            _item("weird/licence", licence="my-own-thing"),
        ], 0),
        *_listed([_child("eve/twice", "lab/root2", licence="mit")], 0.5),  # the same model twice in a batch
        seen("crawled/m", declared_license=DeclaredLicense("apache-2.0"), known_from=KnownFrom.CRAWLED),
    ]
    second = [
        AliasSeen("lab/root2", "lab/root2-renamed", src("lab/root2", 1)),
        *_listed([
            _item("crawled/m", licence="mit"),  # crawled before, now listed with a new licence
            _child("alice/ft", "meta/root", "adapter"),  # the relation changes
            _child("bob/ft", "meta/root", licence="apache-2.0"),  # a new DECLARES version
            _child("cyc/y", "cyc/x"),  # closes a cycle declared across two batches
            _child("frank/ft", "lab/root2"),  # names the parent by its old id
            _child("gina/ft", "lab/root2-renamed"),
            _child("hal/ft", "frank/ft", card={"base_model": "frank/ft", "base_model_relation": "finetune"}),
        ], 1),
    ]
    return [first, second, second]


def _write(driver: Driver, *, create_new: bool) -> tuple[Any, int]:
    with driver.session(database="neo4j") as session:
        session.run(WIPE).consume()
    writer = GraphWriter(driver, batch_size=4, create_new=create_new)
    created = 0
    for k, batch in enumerate(_sweeps()):
        report = writer.write(batch, run_id=f"sweep-{k}")
        created += report.rows["Model.created"]
    return snapshot(driver), created


def test_created_models_leave_the_graph_the_upserts_leave(neo4j_driver: Driver) -> None:
    general, none_created = _write(neo4j_driver, create_new=False)
    fast, created = _write(neo4j_driver, create_new=True)
    assert none_created == 0
    assert created >= 10  # most models of the first sweep and the new ones of the second
    assert fast == general
    nodes, rels = fast
    models = {n["props"]["id"]: n["props"] for n in nodes if n["labels"] == ["Model"]}
    assert models["crawled/m"]["listed_at"] > models["crawled/m"]["crawled_at"]
    assert models["eve/twice"]["declared_license"] == "mit"
    types = {r["type"] for r in rels}
    assert {"PUBLISHED", "DECLARES", "DERIVED_FROM", "HAS_ANCESTOR", "TRAINED_ON"} <= types
    declares = [r for r in rels if r["type"] == "DECLARES" and r["a"] == "bob/ft"]
    assert sorted(r["b"] for r in declares) == ["apache-2.0", "mit"]
    assert sum(1 for r in declares if r["props"].get("valid_to") is None) == 1
    cycle = {(r["a"], r["b"]) for r in rels if r["type"] == "HAS_ANCESTOR" and r["a"].startswith("cyc/")}
    assert cycle == {("cyc/x", "cyc/y"), ("cyc/y", "cyc/x")}


def test_a_model_created_meanwhile_is_written_the_general_way(neo4j_driver: Driver) -> None:
    """Another writer creates the batch's models between the absence check and the create: the
    unique constraint rejects the create and the batch is written again through the upserts."""
    batch = _listed([_item("meta/root"), _child("alice/ft", "meta/root")], 0)
    with neo4j_driver.session(database="neo4j") as session:
        session.run(WIPE).consume()
    GraphWriter(neo4j_driver, create_new=False).write(batch, run_id="r")
    expected = snapshot(neo4j_driver)
    with neo4j_driver.session(database="neo4j") as session:
        session.run(WIPE).consume()
    writer = GraphWriter(neo4j_driver)
    real_absent = writer._absent

    def stale_absent(ex: Any, records: Any) -> set[str]:
        found = real_absent(ex, records)
        GraphWriter(neo4j_driver, create_new=False).write(batch, run_id="r")  # the other writer
        return found

    writer._absent = stale_absent  # type: ignore[method-assign]
    report = writer.write(batch, run_id="r")
    assert report.rows["Model.created"] == 0
    assert snapshot(neo4j_driver) == expected
