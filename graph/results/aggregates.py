"""Whole-family aggregates from materialised results (fast: no engine, a few hundred rows read).

A family's descendants (from the ancestry index) are grouped in the database by their
``eff_agg_key`` — a digest of every value aggregated here — so a family of 50,000 models comes
back as a few thousand groups; the counts are expanded in Python. (Sizes by depth and
relation are the family read of :mod:`graph.reads`.)

* :func:`plan_family_aggregate` — for a root: the number of descendants; conflicts by rule (conflicts
  and models) and by severity; models by conflict state and by commercial status; descendants
  reached by each licence and each term; and **term flow** — for every term in force on some
  descendant, how many *keep*, *drop* or *violate* it (definitions in
  :mod:`terms.propagation.flow`; each descendant reached by a term is in exactly one class).
* :func:`plan_relicensing_points` — the models of a family where a term is first dropped
  (``eff_relicensed_terms``), ranked by how many models sit at and below them.
* :func:`plan_reach` — graph-wide: how many materialised models a licence or a term is in
  force on, and the keep / drop / violate split (one scan of every model; for dashboards).

Everything here reads the current materialisation; ``as_of`` questions go through
:func:`graph.results.read.compute_results`. Members without a result yet are
counted in ``unmaterialised`` and left out of every other count. Constructed fixture models are
counted nowhere (``fixture_prefixes``: see :func:`graph.reads.scope.counted_prefixes`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import Driver

from graph.errors import InvalidArgument
from terms.licenses import LicenseCatalog, default_catalog
from terms.propagation.rules import RULES
from graph.reads import plan as c
from graph.reads.scope import counted_prefixes
from graph.statements import propagation as q

__all__ = [
    "FamilyAggregate",
    "Reach",
    "RelicensingPoint",
    "RuleCount",
    "TermFlowCount",
    "family_aggregate",
    "plan_family_aggregate",
    "plan_reach",
    "plan_relicensing_points",
    "reach",
    "relicensing_points",
]

MAX_POINTS = 1000


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule: str
    severity: str
    conflicts: int  # conflicts of the rule over the members
    models: int  # members with at least one


@dataclass(frozen=True, slots=True)
class TermFlowCount:
    term_id: str
    kind: str
    keep: int
    drop: int
    violate: int

    @property
    def reached(self) -> int:
        return self.keep + self.drop + self.violate


@dataclass(frozen=True, slots=True)
class FamilyAggregate:
    """Aggregates over a root's descendants (the root itself is not counted; see ``root_state``)."""

    root: str
    descendants: int
    unmaterialised: int
    conflicts_by_rule: tuple[RuleCount, ...]  # most conflicts first
    conflicts_by_severity: tuple[tuple[str, int], ...]
    conflict_states: tuple[tuple[str, int], ...]  # none | info | warning | violation → models
    commercial: tuple[tuple[str, int], ...]  # commercial status → models
    by_license: tuple[tuple[str, int], ...]  # licence → descendants it is in force on, most first
    term_flow: tuple[TermFlowCount, ...]  # most reached first
    root_state: str | None  # the root's own conflict state (None: not materialised)

    def term(self, term_id: str) -> TermFlowCount | None:
        return next((t for t in self.term_flow if t.term_id == term_id), None)

    def rule(self, rule_id: str) -> RuleCount | None:
        return next((r for r in self.conflicts_by_rule if r.rule == rule_id), None)


@dataclass(frozen=True, slots=True)
class RelicensingPoint:
    model_id: str
    license_id: str | None  # what the model declares
    parents: tuple[tuple[str, str | None, str], ...]  # (parent id, its licence, relation)
    dropped_terms: tuple[str, ...]  # terms first dropped here
    downstream: int  # the model and every model below it


@dataclass(frozen=True, slots=True)
class Reach:
    """Graph-wide: the materialised models a licence or a term is in force on."""

    scope: str  # "license:<id>" | "term:<id>"
    models: int
    keep: int | None  # for a term: models that keep it (None for a licence)
    drop: int | None
    violate: int | None
    conflicts_by_rule: tuple[RuleCount, ...]  # over the models reached


class _Groups:
    """Accumulates group rows ``[key, n, licences, terms, dropped, violated, rules, state, commercial]``."""

    def __init__(self, catalog: LicenseCatalog) -> None:
        self.catalog = catalog
        self.members = 0
        self.unmaterialised = 0
        self.conflicts: Counter[str] = Counter()
        self.models_by_rule: Counter[str] = Counter()
        self.states: Counter[str] = Counter()
        self.commercial: Counter[str] = Counter()
        self.licenses: Counter[str] = Counter()
        self.flow: dict[str, Counter[str]] = {}

    def add(self, group: Sequence[Any]) -> None:
        key, n, licenses, terms, dropped, violated, rules, state, commercial = group
        n = int(n)
        self.members += n
        if key is None:
            self.unmaterialised += n
            return
        self.states[str(state)] += n
        self.commercial[str(commercial)] += n
        rules = [str(r) for r in rules or ()]
        for rule, count in Counter(rules).items():
            self.conflicts[rule] += n * count
            self.models_by_rule[rule] += n
        for license_id in licenses or ():
            self.licenses[str(license_id)] += n
        dropped_set = set(dropped or ())
        violated_set = set(violated or ())
        for term_id in terms or ():
            cls = "violate" if term_id in violated_set else "drop" if term_id in dropped_set else "keep"
            self.flow.setdefault(str(term_id), Counter())[cls] += n

    def rule_counts(self) -> tuple[RuleCount, ...]:
        rows = [
            RuleCount(rule, RULES[rule].severity.value if rule in RULES else "unknown", n, self.models_by_rule[rule])
            for rule, n in self.conflicts.items()
        ]
        return tuple(sorted(rows, key=lambda r: (-r.conflicts, r.rule)))

    def severity_counts(self) -> tuple[tuple[str, int], ...]:
        out: Counter[str] = Counter()
        for r in self.rule_counts():
            out[r.severity] += r.conflicts
        return tuple(sorted(out.items()))

    def term_flow(self) -> tuple[TermFlowCount, ...]:
        terms = self.catalog.all_terms
        rows = [
            TermFlowCount(tid, terms[tid].kind.value if tid in terms else "unknown", f["keep"], f["drop"], f["violate"])
            for tid, f in self.flow.items()
        ]
        return tuple(sorted(rows, key=lambda t: (-t.reached, t.term_id)))


def _most(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def plan_family_aggregate(
    root: str, *, catalog: LicenseCatalog | None = None, fixture_prefixes: Sequence[str] | None = None
) -> c.Plan[FamilyAggregate | None]:
    """Aggregates over the descendants of ``root`` (an id or old id); None when no such model."""
    skip = list(counted_prefixes(root, fixture_prefixes=fixture_prefixes))
    rows = yield c.Query(q.FAMILY_GROUPS, {"id": root, "fixture_prefixes": skip})
    if not rows:
        return None
    row = rows[0]
    groups = _Groups(catalog or default_catalog())
    for group in row["groups"]:
        groups.add(group)
    root_group = row["root"]
    return FamilyAggregate(
        root=str(row["id"]),
        descendants=groups.members,
        unmaterialised=groups.unmaterialised,
        conflicts_by_rule=groups.rule_counts(),
        conflicts_by_severity=groups.severity_counts(),
        conflict_states=_most(groups.states),
        commercial=_most(groups.commercial),
        by_license=_most(groups.licenses),
        term_flow=groups.term_flow(),
        root_state=None if root_group[0] is None else str(root_group[7]),
    )


def plan_relicensing_points(
    root: str, *, limit: int = 25, fixture_prefixes: Sequence[str] | None = None
) -> c.Plan[tuple[RelicensingPoint, ...]]:
    """The models of the family of ``root`` (itself included) where a term is first dropped, most downstream first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_POINTS:
        raise InvalidArgument(f"limit must be an integer from 1 to {MAX_POINTS}, got {limit!r}")
    skip = list(counted_prefixes(root, fixture_prefixes=fixture_prefixes))
    rows = yield c.Query(q.RELICENSING_POINTS, {"id": root, "limit": limit, "fixture_prefixes": skip})
    return tuple(
        RelicensingPoint(
            model_id=str(r["id"]),
            license_id=r["license"],
            parents=tuple((str(p[0]), None if p[1] is None else str(p[1]), str(p[2])) for p in r["parents"]),
            dropped_terms=tuple(str(t) for t in r["terms"]),
            downstream=int(r["downstream"]),
        )
        for r in rows
    )


def plan_reach(
    *,
    license_id: str | None = None,
    term_id: str | None = None,
    catalog: LicenseCatalog | None = None,
    fixture_prefixes: Sequence[str] | None = None,
) -> c.Plan[Reach]:
    """Graph-wide reach of a licence (models it is in force on) or of a term (with keep/drop/violate)."""
    if (license_id is None) == (term_id is None):
        raise InvalidArgument("name exactly one of a licence or a term")
    rows = yield c.Query(q.ALL_GROUPS, {"fixture_prefixes": list(counted_prefixes(fixture_prefixes=fixture_prefixes))})
    groups = _Groups(catalog or default_catalog())
    for r in rows:
        g = r["g"]
        if license_id is not None and license_id not in (g[2] or ()):
            continue
        if term_id is not None and term_id not in (g[3] or ()):
            continue
        groups.add(g)
    if license_id is not None:
        return Reach(f"license:{license_id}", groups.members, None, None, None, groups.rule_counts())
    assert term_id is not None
    f = groups.flow.get(term_id, Counter())
    return Reach(f"term:{term_id}", groups.members, f["keep"], f["drop"], f["violate"], groups.rule_counts())


def family_aggregate(
    driver: Driver,
    root: str,
    *,
    catalog: LicenseCatalog | None = None,
    fixture_prefixes: Sequence[str] | None = None,
    database: str | None = None,
) -> FamilyAggregate | None:
    """Run :func:`plan_family_aggregate` over a sync driver."""
    return c.run(driver, plan_family_aggregate(root, catalog=catalog, fixture_prefixes=fixture_prefixes), database)


def relicensing_points(
    driver: Driver,
    root: str,
    *,
    limit: int = 25,
    fixture_prefixes: Sequence[str] | None = None,
    database: str | None = None,
) -> tuple[RelicensingPoint, ...]:
    """Run :func:`plan_relicensing_points` over a sync driver."""
    return c.run(driver, plan_relicensing_points(root, limit=limit, fixture_prefixes=fixture_prefixes), database)


def reach(
    driver: Driver,
    *,
    license_id: str | None = None,
    term_id: str | None = None,
    catalog: LicenseCatalog | None = None,
    fixture_prefixes: Sequence[str] | None = None,
    database: str | None = None,
) -> Reach:
    """Run :func:`plan_reach` over a sync driver."""
    plan = plan_reach(license_id=license_id, term_id=term_id, catalog=catalog, fixture_prefixes=fixture_prefixes)
    return c.run(driver, plan, database)

