"""GraphQL types of propagation: effective terms, conflicts, commercial and AI Act status,
responsibility chains, and the whole-scope aggregates dashboards draw.

Built with ``from_internal`` from the engine's results (terms.propagation) and the services'
aggregates (graph.reads); nothing here computes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.deployments.types import Deployment
from api.enums import CommercialStatusKind, ConflictState, ModelStatus, Relation, Role, Severity
from terms.licenses import LicenseCatalog
from terms.propagation import CommercialResult, EuAiActResult, PropagationResult
from terms.propagation import Conflict as EngineConflict
from terms.propagation import ResponsibilityStep as EngineStep
from terms.propagation.result import PathStep as EnginePathStep
from graph.reads.types import AsOfCoverage as ServiceCoverage
from graph.reads.types import PropagationSummary
from graph.reads.types import RelicensingPoint as ServicePoint

if TYPE_CHECKING:
    from api.lineage.types import Model
    from api.propagation.conflicts import ScopeConflictConnection

__all__ = [
    "AsOfCoverage",
    "CommercialStatus",
    "Conflict",
    "DepthCount",
    "EffectiveTerm",
    "EuAiActStatus",
    "FamilyEdge",
    "FamilyGraph",
    "FamilyNode",
    "Obligation",
    "PathStep",
    "Propagation",
    "RelationCount",
    "RelicensingPoint",
    "ResponsibilityStep",
    "RuleCount",
    "TermFlow",
]

ModelRef = Annotated["Model", strawberry.lazy("api.lineage.types")]


@strawberry.type(description="One model on a path and the licence it declares (`none` / `unknown` when so).")
class PathStep:
    model_id: strawberry.ID
    license_id: str

    @classmethod
    def from_internal(cls, step: EnginePathStep) -> PathStep:
        return cls(model_id=strawberry.ID(step.model_id), license_id=step.license_id)


@strawberry.type(description="A term in force on the model, the licence imposing it and the path it came along.")
class EffectiveTerm:
    term_id: strawberry.ID
    kind: str
    value: str | None
    description: str | None
    license_id: strawberry.ID
    scope: str = strawberry.field(description="How much of the licence applies: full, flowing or naming.")
    from_model: strawberry.ID = strawberry.field(description="The model whose declaration imposes the term.")
    path: list[str] = strawberry.field(description="Model ids from this model to `fromModel`.")

    @classmethod
    def all_from(cls, result: PropagationResult, catalog: LicenseCatalog) -> list[EffectiveTerm]:
        licences = {lic.license_id: lic for lic in result.licenses}
        out = []
        for term in result.terms:
            known = catalog.all_terms.get(term.term_id)
            value = None
            if known is not None:
                value = known.value if known.value is not None else (None if known.amount is None else str(known.amount))
            path = [s.model_id for s in term.path] or [result.model_id]
            lic = licences.get(term.license_id)
            out.append(
                cls(
                    term_id=strawberry.ID(term.term_id),
                    kind=term.kind,
                    value=value,
                    description=known.description if known is not None else None,
                    license_id=strawberry.ID(term.license_id),
                    scope=lic.scope.value if lic is not None else "full",
                    from_model=strawberry.ID(path[-1]),
                    path=path,
                )
            )
        return out


@strawberry.type(description="A conflict: a stable rule id, its severity, one sentence and the path that causes it.")
class Conflict:
    rule_id: str
    severity: Severity
    message: str
    path: list[str] = strawberry.field(description="Model ids, from the model towards the cause.")
    licenses: list[str] = strawberry.field(description="The licences involved (those declared along the path when the rule names none).")
    steps: list[PathStep] = strawberry.field(description="The path with the licence each model declares.")

    @classmethod
    def from_internal(cls, c: EngineConflict) -> Conflict:
        licences = list(c.license_ids) or list(dict.fromkeys(s.license_id for s in c.path))
        return cls(
            rule_id=c.rule,
            severity=c.severity,
            message=c.message,
            path=[s.model_id for s in c.path],
            licenses=licences,
            steps=[PathStep.from_internal(s) for s in c.path],
        )


def _threshold(com: CommercialResult) -> str | None:
    parts = []
    if com.mau_threshold is not None:
        parts.append(f"{com.mau_threshold:,} monthly active users ({com.mau_license})")
    if com.revenue_threshold_usd is not None:
        parts.append(f"USD {com.revenue_threshold_usd:,} annual revenue ({com.revenue_license})")
    return "; ".join(parts) or None


@strawberry.type(description="What commercial use is allowed, the governing threshold and the licence it comes from.")
class CommercialStatus:
    status: CommercialStatusKind
    threshold: str | None
    license_id: str | None
    reason: str | None
    mau_threshold: float | None
    revenue_threshold_usd: float | None
    registration_required: bool
    missing: list[str]
    path: list[str]

    @classmethod
    def from_internal(cls, com: CommercialResult) -> CommercialStatus:
        if com.missing:
            reason = "; ".join(com.missing)
            if com.known_floor is not None:
                reason += f" (at least {com.known_floor.value})"
        elif com.governing_license is not None:
            via = " → ".join(s.model_id for s in com.path)
            reason = f"set by {com.governing_license} ({com.license_status})" + (f" via {via}" if via else "")
        else:
            reason = None
        return cls(
            status=com.status,
            threshold=_threshold(com),
            license_id=com.governing_license,
            reason=reason,
            mau_threshold=None if com.mau_threshold is None else float(com.mau_threshold),
            revenue_threshold_usd=None if com.revenue_threshold_usd is None else float(com.revenue_threshold_usd),
            registration_required=com.registration_required,
            missing=list(com.missing),
            path=[s.model_id for s in com.path],
        )

    @classmethod
    def unknown(cls, reason: str) -> CommercialStatus:
        return cls(
            status=CommercialStatusKind.UNKNOWN,
            threshold=None,
            license_id=None,
            reason=reason,
            mau_threshold=None,
            revenue_threshold_usd=None,
            registration_required=False,
            missing=[reason],
            path=[],
        )


@strawberry.type
class Obligation:
    id: str
    text: str
    license_id: str | None
    basis: str = strawberry.field(description="licence, ai_act or dsa.")


@strawberry.type(description="One party on the chain from the model (and its deployments) back to the roots.")
class ResponsibilityStep:
    model_id: strawberry.ID
    depth: int
    party: str | None
    party_kind: str
    role: Role
    relation: Relation | None
    license_id: str | None = strawberry.field(description="The licence the model itself declares.")
    licenses: list[str] = strawberry.field(description="Every licence in force at this step.")
    deployment_id: str | None
    obligations: list[str]
    obligation_details: list[Obligation]
    unknown: str | None = strawberry.field(description=(
        "What is not known at this step, and what points to other material (e.g. \"parent not recorded — declares "
        "llama3.1, so it contains Meta Platforms' llama3.1 material\"); null when nothing is."))

    @classmethod
    def from_internal(cls, step: EngineStep, declared: Callable[[str], str | None]) -> ResponsibilityStep:
        return cls(
            model_id=strawberry.ID(step.model_id),
            depth=step.depth,
            party=step.party_id,
            party_kind=step.party_kind,
            role=step.role,
            relation=step.relation,
            license_id=declared(step.model_id),
            licenses=list(step.licenses),
            deployment_id=step.deployment_id,
            obligations=[o.text for o in step.obligations],
            obligation_details=[Obligation(id=o.id, text=o.text, license_id=o.license_id, basis=o.basis) for o in step.obligations],
            unknown=step.unknown,
        )


@strawberry.type(description="EU AI Act status; `unknown` wherever a datum is missing, named in `missing`.")
class EuAiActStatus:
    open_source_exemption: str
    systemic_risk: str
    systemic_risk_basis: str = strawberry.field(description=(
        "Why `systemicRisk` is what it is: the recorded compute, or the parameter count with the assumption "
        "that bounds training compute by it (C ≈ 6·N·D with D ≤ 1e14 tokens; `no` means not presumed, Art. 51(2)), "
        "or what the base inherits and what is lacking."))
    modifier_becomes_provider: str
    missing: list[str]
    reasons: list[str]
    provider_basis: str
    cumulative_compute_flops: float | None
    compute_lower_bound_flops: float | None

    @classmethod
    def from_internal(cls, eu: EuAiActResult) -> EuAiActStatus:
        return cls(
            open_source_exemption=eu.oss_exemption.value,
            systemic_risk=eu.systemic_risk.value,
            systemic_risk_basis=eu.systemic_risk_basis,
            modifier_becomes_provider=eu.modifier_becomes_provider.value,
            missing=list(eu.missing),
            reasons=list(eu.oss_reasons),
            provider_basis=eu.provider_basis,
            cumulative_compute_flops=eu.cumulative_compute_flops,
            compute_lower_bound_flops=eu.compute_lower_bound_flops,
        )

    @classmethod
    def unknown(cls, reason: str) -> EuAiActStatus:
        return cls(
            open_source_exemption="unknown",
            systemic_risk="unknown",
            systemic_risk_basis=reason,
            modifier_becomes_provider="unknown",
            missing=[reason],
            reasons=[],
            provider_basis="unknown",
            cumulative_compute_flops=None,
            compute_lower_bound_flops=None,
        )


@strawberry.type
class DepthCount:
    depth: int
    count: int


@strawberry.type
class RelationCount:
    relation: Relation
    count: int


@strawberry.type(description="Of the scope's descendants: how many keep, drop or violate the term.")
class TermFlow:
    term_id: strawberry.ID
    kind: str
    keep: int
    drop: int
    violate: int


@strawberry.type(description="An edge where terms are dropped, ranked by the models at and below the child.")
class RelicensingPoint:
    dropped_terms: list[str]
    from_license: str | None
    to_license: str | None
    downstream_count: int
    parent_id: strawberry.Private[str]
    child_id: strawberry.Private[str]
    as_of: strawberry.Private[datetime | None]

    @strawberry.field
    async def parent(self, info: strawberry.Info) -> ModelRef:
        from api.lineage.types import load_model_strict

        return await load_model_strict(info, self.parent_id, self.as_of)

    @strawberry.field
    async def child(self, info: strawberry.Info) -> ModelRef:
        from api.lineage.types import load_model_strict

        return await load_model_strict(info, self.child_id, self.as_of)

    @classmethod
    def from_internal(cls, p: ServicePoint, as_of: datetime | None) -> RelicensingPoint:
        return cls(
            dropped_terms=list(p.dropped_terms),
            from_license=p.from_license,
            to_license=p.to_license,
            downstream_count=p.downstream,
            parent_id=p.parent,
            child_id=p.child,
            as_of=as_of,
        )


@strawberry.type
class RuleCount:
    rule_id: str
    severity: Severity
    count: int = strawberry.field(deprecation_reason="Ambiguous: the number of conflicts; use `conflicts` or `models`.")
    conflicts: int = strawberry.field(description="Conflicts of this rule at this severity in the scope (a model may have several).")
    models: int = strawberry.field(description="Models of the scope with at least one such conflict.")


@strawberry.type
class FamilyNode:
    id: strawberry.ID
    depth: int
    license_id: str | None
    conflict_state: ConflictState
    status: ModelStatus


@strawberry.type
class FamilyEdge:
    child: strawberry.ID
    parent: strawberry.ID
    relation: Relation


@strawberry.type(description="The scope for drawing: nodes capped at a limit (nearest depths first) and the edges between them.")
class FamilyGraph:
    nodes: list[FamilyNode]
    edges: list[FamilyEdge]
    truncated: bool


MAX_GRAPH_NODES = 5000


@strawberry.type(
    description="Of the scope's models (at `asOf` or now), how many Lineage knows at `asOf` (knownSince at or before "
    "it): an answer at an early instant speaks only for the known ones."
)
class AsOfCoverage:
    as_of: datetime
    known: int = strawberry.field(description="Models of the scope (then or now) known at `asOf`.")
    not_yet_known: int = strawberry.field(description="Models of the scope (then or now) that Lineage knows nothing of at `asOf`.")
    earliest_known_since: datetime | None = strawberry.field(description="Before it, nothing of the scope is known.")
    latest_known_since: datetime | None = strawberry.field(description="From it on, every model of the scope is known.")

    @classmethod
    def from_internal(cls, c: ServiceCoverage | None) -> AsOfCoverage | None:
        if c is None:
            return None
        return cls(
            as_of=c.as_of,
            known=c.known,
            not_yet_known=c.not_yet_known,
            earliest_known_since=c.earliest_known_since,
            latest_known_since=c.latest_known_since,
        )


@strawberry.type(description="How a root's family, a licence or a term propagates: aggregates for dashboards.")
class Propagation:
    scope: str = strawberry.field(description='"root:<id>", "license:<id>" or "term:<id>".')
    total_models: int = strawberry.field(description="Members of the scope, its sources (the root) included.")
    by_depth: list[DepthCount]
    by_relation: list[RelationCount]
    term_flow: list[TermFlow] = strawberry.field(
        description="For every term in force on a descendant: how many keep, drop or violate it (most reached first)."
    )
    top_relicensing_points: list[RelicensingPoint]
    conflicts_by_rule: list[RuleCount]
    deployments_reached: list[Deployment] = strawberry.field(description="Nearest first; at most 1000 (see deploymentsReachedCount).")
    deployments_reached_count: int
    source: str = strawberry.field(description="materialised (read from the store) or computed (for this request).")
    as_of_coverage: AsOfCoverage | None = strawberry.field(
        description="With `asOf`: how many of the scope's models are known then and how many not yet (null without `asOf`)."
    )
    summary: strawberry.Private[PropagationSummary]
    as_of: strawberry.Private[datetime | None] = None

    @strawberry.field(description=(
        "The scope's conflicts one per row (of `rule` and `severity` when named), ordered by model id then rule; "
        "the rows of GET /api/scopes/conflicts.csv."
    ))
    async def conflicts(
        self,
        info: strawberry.Info,
        rule: str | None = None,
        severity: Severity | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> Annotated["ScopeConflictConnection", strawberry.lazy("api.propagation.conflicts")]:
        from api.propagation.conflicts import scope_conflicts, scope_from_text

        return await scope_conflicts(
            info.context.graph,
            scope_from_text(self.scope, include_fixtures=not self.summary.fixtures_left_out),  # as the counts were made
            as_of=self.as_of, rule=rule, severity=severity,
            first=first, after=after,
        )

    @strawberry.field(description="Nodes (at most `limit`, nearest depths first) and the edges among them.")
    async def graph(self, info: strawberry.Info, limit: int = 300) -> FamilyGraph:
        from api.errors import translated
        from api.pagination import bounded

        bounded("limit", limit, 1, MAX_GRAPH_NODES)
        s = self.summary
        if s.nodes is not None and s.edges is not None:
            nodes = s.nodes[:limit]
            kept = {n.id for n in nodes}
            edges = [e for e in s.edges if e.child in kept and e.parent in kept]
            total = len(s.nodes)
        elif s.drawing is not None and s.drawing[0] == limit:
            nodes, edges, total = s.drawing[1], list(s.drawing[2]), s.drawing[3]
        else:
            assert s.root is not None
            with translated():
                nodes, found, total = await info.context.graph.reader.drawing(
                    s.root, limit=limit, fixture_prefixes=s.fixtures_left_out
                )
            edges = list(found)
        return FamilyGraph(
            nodes=[
                FamilyNode(
                    id=strawberry.ID(n.id),
                    depth=n.depth,
                    license_id=n.license_id,
                    conflict_state=n.conflict_state,
                    status=n.status,
                )
                for n in nodes
            ],
            edges=[FamilyEdge(child=strawberry.ID(e.child), parent=strawberry.ID(e.parent), relation=e.relation) for e in edges],
            truncated=total > len(nodes),
        )

    @classmethod
    def from_internal(cls, s: PropagationSummary, as_of: datetime | None) -> Propagation:
        return cls(
            scope=s.scope,
            total_models=s.total,
            by_depth=[DepthCount(depth=d, count=n) for d, n in s.by_depth],
            by_relation=[RelationCount(relation=r, count=n) for r, n in s.by_relation],
            term_flow=[TermFlow(term_id=strawberry.ID(t.term_id), kind=t.kind, keep=t.keep, drop=t.drop, violate=t.violate)
                       for t in s.term_flow],
            top_relicensing_points=[RelicensingPoint.from_internal(p, as_of) for p in s.relicensing],
            conflicts_by_rule=[
                RuleCount(rule_id=t.rule, severity=t.severity, count=t.conflicts, conflicts=t.conflicts, models=t.models)
                for t in s.conflicts_by_rule
            ],
            deployments_reached=[Deployment.from_internal(d) for d in s.deployments],
            deployments_reached_count=s.deployments_total,
            source=s.source,
            as_of_coverage=AsOfCoverage.from_internal(s.coverage),
            summary=s,
            as_of=as_of,
        )
