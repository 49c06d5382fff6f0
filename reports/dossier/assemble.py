"""Assemble a dossier from the shared graph reads and the propagation engine.

:func:`plan_dossier` is a read plan (a generator of queries, see :mod:`graph.reads.plan`):
the CLI drives it over the sync driver (:func:`investigate`), the API over the async one
(``GraphReader.run``). It reads, in order: the model holding a file (when started from a
sha256), the ancestors with every path and edge, the facts of each model on the chain, the
engine's lineage view (the shared loader, :mod:`graph.results.engine_input`), the
deployments reached, and the provenance of versioned facts (:mod:`.statements`); then it runs
the engine and lays everything out with evidence ids (:mod:`.layout`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from neo4j import Driver

from graph.errors import InvalidArgument
from graph.sha256 import normalise_sha256
from graph.statements import dossier as q
from reports.dossier.asof import check_as_of
from reports.dossier.canonical import content_hash
from reports.dossier.errors import NotYetKnown, UnknownFile
from reports.dossier.build import Inputs, lay_out
from reports.dossier.model import Dossier
from terms.licenses import LicenseCatalog
from terms.propagation import PropagationEngine
from graph.results.engine_input import plan_lineage_view
from graph.reads import FileMatch, plan_ancestors, plan_by_file, plan_deployments
from graph.reads import plan as c
from graph.reads.models import plan_facts

__all__ = ["DEFAULT_MAX_DEPLOYMENTS", "investigate", "plan_dossier"]

DEFAULT_MAX_DEPLOYMENTS = 1000
"""Deployments listed in one dossier (the total is always given)."""

_engine: PropagationEngine | None = None


def _default_engine() -> PropagationEngine:
    global _engine
    if _engine is None:
        _engine = PropagationEngine()
    return _engine


def plan_dossier(
    model_id: str | None = None,
    *,
    sha256: str | None = None,
    as_of: datetime | None = None,
    max_depth: int = 16,
    max_paths: int = 1000,
    max_deployments: int = DEFAULT_MAX_DEPLOYMENTS,
    engine: PropagationEngine | None = None,
    now: Callable[[], datetime] | None = None,
) -> c.Plan[Dossier]:
    """The dossier of a model (by id or old id) or of the model holding a file, as of ``as_of``."""
    if (model_id is None) == (sha256 is None):
        raise InvalidArgument("name exactly one of a model id or a file sha256")
    clock = now or (lambda: datetime.now(UTC))
    as_of = check_as_of(as_of, now=clock())
    engine = engine or _default_engine()
    catalog: LicenseCatalog = engine.catalog
    holders: tuple[FileMatch, ...] = ()
    sha: str | None = None
    if sha256 is not None:
        sha = normalise_sha256(sha256)
        holders = yield from plan_by_file(sha, as_of=as_of)
        if not holders:
            raise UnknownFile(sha)
        holders = tuple(sorted(holders, key=_holder_order))
        asked, start = sha256.strip(), holders[0].model.id
    else:
        assert model_id is not None
        if not model_id or len(model_id) > 1000:
            raise InvalidArgument("a model id must have 1 to 1000 characters")
        asked, start = model_id, model_id

    ancestry = yield from plan_ancestors(start, as_of=as_of, max_depth=max_depth, max_paths=max_paths)
    subject = ancestry.model
    if subject.unborn_at(as_of):
        raise NotYetKnown(subject.id, subject.exists_from or subject.first_seen, as_of)
    ids = [subject.id, *(n.model.id for n in ancestry.ancestors)]
    facts = yield from plan_facts(ids, as_of=as_of)
    loaded = yield from plan_lineage_view([subject.id], as_of=as_of)
    reached = yield from plan_deployments(subject.id, as_of=as_of, include_descendants=True)
    provenance = yield c.Query(q.CHAIN_PROVENANCE, {"ids": ids})
    listed = reached[:max_deployments]
    serves: list[Any] = []
    if listed:
        pairs = [{"deployment": d.id, "model": d.model_id} for d in listed]
        serves = yield c.Query(q.SERVES_PROVENANCE, {"pairs": pairs})
    files: list[Any] = []
    if sha is not None:
        files = yield c.Query(q.FILE_PROVENANCE, {"sha256": sha, "ids": [h.model.id for h in holders]})

    results, chain = yield c.Compute(_evaluate, (engine, loaded.view, ids, subject.id))
    inputs = Inputs(
        asked=asked,
        as_of=as_of,
        ancestry=ancestry,
        facts=facts,
        provenance={str(r["id"]): r for r in provenance},
        results=results,
        chain=chain,
        reached=reached,
        listed=listed,
        serves={(str(r["deployment"]), str(r["model"])): r["prov"] for r in serves},
        sha256=sha,
        holders=holders,
        files={str(r["model"]): r["prov"] for r in files},
        catalog=catalog,
    )
    dossier = yield c.Compute(_lay_out_sealed, (inputs, clock()))
    return dossier


def _evaluate(
    engine: PropagationEngine, view: Any, ids: list[str], subject_id: str
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The engine's results for the models of the dossier and the subject's chain (CPU: a compute step)."""
    run = engine.run(view)
    results = run.results([m for m in ids if m in view.nodes])
    chain = run.responsibility_chain(subject_id) if subject_id in view.nodes else ()
    return results, chain


def _lay_out_sealed(inputs: Inputs, generated_at: datetime) -> Dossier:
    return _sealed(lay_out(inputs, generated_at=generated_at))


def _holder_order(match: FileMatch) -> tuple[datetime, str]:
    """The earliest observed holder of a file first (the likely origin), then by id."""
    return (match.model.first_seen or datetime.max.replace(tzinfo=UTC), match.model.id)


def _sealed(dossier: Dossier) -> Dossier:
    """The dossier with its content hash set."""
    return replace(dossier, content_hash=content_hash(dossier.content_dict()))


def investigate(
    driver: Driver,
    model_id: str | None = None,
    *,
    sha256: str | None = None,
    as_of: datetime | None = None,
    database: str | None = None,
    max_deployments: int = DEFAULT_MAX_DEPLOYMENTS,
    now: Callable[[], datetime] | None = None,
) -> Dossier:
    """The dossier over a sync driver (see :func:`plan_dossier`)."""
    plan = plan_dossier(model_id, sha256=sha256, as_of=as_of, max_deployments=max_deployments, now=now)
    return c.run(driver, plan, database)
