"""``known_since``: the earliest instant from which Lineage knows anything about a model.

It is the earliest of

* the model's first observation (``first_seen``);
* the ``valid_from`` of every version of its versioned facts (see :mod:`graph.history`): the
  licences it declared (``DECLARES``), who published it (``PUBLISHED``), its ``DERIVED_FROM``
  versions both ways (its own base models, and every child naming it as a base: a parent is known
  from the instant a child's derivation from it holds), and its ``status_valid_from`` /
  ``gate_valid_from`` lists.

Times recorded from a repository's commit history make versions start before the crawl that
saw them, so ``known_since`` can be earlier than ``first_seen``; it is never later. None only
when nothing dated is recorded at all.

A question ``as_of`` an instant before ``known_since`` has no answer: the graph holds the model,
but not what it was then (:class:`graph.errors.NotKnownAtInstant`). A model is *known at* an
instant when its ``known_since`` is at or before it (or nothing dated is recorded, which gives
no instant to exclude it). This module is the one definition: the Cypher fragment
(:func:`known_since_expr`), the read by key (:func:`plan_known_since`), the test
(:func:`known_at`) and the coverage of a set of models at an instant (:func:`plan_coverage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from graph.reads import plan as c
from graph.reads.convert import opt_time
from graph.reads.types import AsOfCoverage
from graph.statements.reads import RESOLVE_KEYS, US, known_since_expr

__all__ = [
    "AsOfCoverage",
    "Known",
    "KNOWN_SINCE",
    "COVERAGE",
    "known_at",
    "known_since_expr",
    "plan_coverage",
    "plan_known_since",
]


# keys may be current ids or old ids (aliases), as in graph.statements.reads.MODEL_FACTS
KNOWN_SINCE = RESOLVE_KEYS + f"""
WITH key, m, {known_since_expr('m')} AS since
RETURN key, m.id AS id, {US('since')} AS known_since
"""
"""Each model named (by id or old id) that the graph holds, with its known_since (epoch µs or null)."""

COVERAGE = f"""
UNWIND $ids AS id
MATCH (m:Model {{id: id}})
WITH {known_since_expr('m')} AS since
WITH count(*) AS models,
     sum(CASE WHEN since IS NOT NULL AND since > $as_of THEN 1 ELSE 0 END) AS not_yet_known,
     min(since) AS earliest, max(since) AS latest
RETURN models, not_yet_known, {US('earliest')} AS earliest, {US('latest')} AS latest
"""
"""How many of the models (current ids) are not yet known at $as_of, and the earliest and latest known_since."""


@dataclass(frozen=True, slots=True)
class Known:
    """A model the graph holds (by its current id) and the earliest instant anything of it is known from."""

    model_id: str
    since: datetime | None


def known_at(since: datetime | None, as_of: datetime | None) -> bool:
    """Whether a model with this ``known_since`` is known at ``as_of`` (None = now: always)."""
    return as_of is None or since is None or since <= as_of


def plan_known_since(ids: Sequence[str]) -> c.Plan[dict[str, Known]]:
    """The known_since of each model named (by id or old id), by the key asked; unknown models are absent."""
    keys = sorted(set(ids))
    if not keys:
        return {}
    rows = yield c.Query(KNOWN_SINCE, {"ids": keys})
    return {str(r["key"]): Known(str(r["id"]), opt_time(r["known_since"])) for r in rows}


def plan_coverage(ids: Sequence[str], as_of: datetime) -> c.Plan[AsOfCoverage]:
    """How many of these models (current ids) are known at ``as_of``, and when the earliest and the last became known."""
    as_of = c.norm_as_of(as_of)
    assert as_of is not None
    keys = sorted(set(ids))
    if not keys:
        return AsOfCoverage(as_of, 0, 0, None, None)
    rows = yield c.Query(COVERAGE, {"ids": keys, "as_of": as_of})
    r = rows[0]
    not_yet = int(r["not_yet_known"])
    return AsOfCoverage(as_of, int(r["models"]) - not_yet, not_yet, opt_time(r["earliest"]), opt_time(r["latest"]))
