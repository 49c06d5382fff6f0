"""A test double of the Lineage API for the dashboard's browser tests.

It mounts the real dashboard router and answers ``POST /graphql`` by executing the page's
queries against a copy of the GraphQL contract (``contract.graphql``) over a small, fixed,
contract-shaped family, so a query the contract does not allow fails here as it would against
the real API (``tests/browser/test_contract.py`` keeps the contract within the real schema).
``GET /investigations/{id}`` returns a minimal dossier page. Every GraphQL request is recorded
(``app.state.requests``) so tests can check what the page sent.

The data: the Llama 3.1 8B family (12 models, one relicensing in September 2024 that turns two
models into violations, so ``asOf`` before it shows fewer conflicts), a small Mistral family,
a lone root without descendants, and a large synthetic family (321 models) that is not listed
among the roots. Their change records (``changes``, the "What changed" feed) are in
:mod:`tests.support.stub_changes`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from graphql import GraphQLError, GraphQLResolveInfo, build_schema, graphql_sync

from api.dashboard import router
from tests.support.stub_changes import resolve_changes

__all__ = ["RELICENSED_AT", "StubModel", "create_stub_app", "family_of", "propagation_for"]

Info = GraphQLResolveInfo[None]
SCHEMA = build_schema((Path(__file__).parent / "contract.graphql").read_text())
RELICENSED_AT = "2024-09-01T00:00:00+00:00"  # acme relicensed its Llama fine-tune as MIT
KNOWN_SINCE = "2023-09-27T00:00:00+00:00"  # every model is known from then, but the ones that say otherwise


@dataclass(frozen=True)
class StubModel:
    id: str
    parent: str | None
    relation: str | None
    depth: int
    license: str | None
    conflict: str = "NONE"
    status: str = "AVAILABLE"
    deployments: tuple[tuple[str, str, str], ...] = ()  # (id, kind, operator)
    conflicts: tuple[tuple[str, str, str], ...] = ()  # (ruleId, severity, message)
    license_before_relicensing: str | None = None
    extra_parents: tuple[str, ...] = field(default=())
    known_since: str = KNOWN_SINCE  # the earliest instant anything of it is known (Model.knownSince)

    @property
    def author(self) -> str:
        return self.id.split("/")[0]


LLAMA = "meta-llama/Llama-3.1-8B"
INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
HERMES = "NousResearch/Hermes-3-Llama-3.1-8B"
LORA = "someone/llama31-instruct-lora"
LEGAL = "acme/Llama-3.1-8B-legal"
MISTRAL = "mistralai/Mistral-7B-v0.1"
LONELY = "tiny/lonely-model"

DROPPED_ATTRIBUTION = ("llama-attribution-dropped", "VIOLATION", "Derivative of a Llama 3.1 model drops the 'Built with Llama' attribution duty.")
RELICENSED = ("relicensed-without-flow-down", "VIOLATION", "Redistributed under a licence that does not carry the Llama 3.1 use restrictions.")
MERGE_MIXED = ("merge-mixed-licenses", "WARNING", "Merges parents under different licences; the most restrictive terms apply.")
DELETED_PARENT = ("parent-deleted", "WARNING", "The repository is deleted; its licence at deletion is the last one observed.")
NAMING = ("naming-prefix-missing", "INFO", "Name does not start with 'Llama' as the Llama 3.1 licence asks.")

MODELS: tuple[StubModel, ...] = (
    StubModel(LLAMA, None, None, 0, "llama3.1", status="GATED",
              deployments=(("provider:together/" + LLAMA, "INFERENCE_PROVIDER", "together"),)),
    StubModel(INSTRUCT, LLAMA, "FINETUNE", 1, "llama3.1", status="GATED",
              deployments=(("space:hf-demo/llama-chat", "SPACE", "hf-demo"), ("endpoint:acme/instruct", "ENDPOINT", "acme"))),
    StubModel(HERMES, LLAMA, "FINETUNE", 1, "llama3", conflict="INFO", conflicts=(NAMING,)),
    StubModel("unsloth/Meta-Llama-3.1-8B-bnb-4bit", LLAMA, "QUANTIZED", 1, "llama3.1"),
    StubModel("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", INSTRUCT, "QUANTIZED", 2, "llama3.1",
              deployments=(("space:local-llm/gguf-chat", "SPACE", "local-llm"),)),
    StubModel(LORA, INSTRUCT, "ADAPTER", 2, "apache-2.0", conflict="VIOLATION", conflicts=(DROPPED_ATTRIBUTION,)),
    StubModel("mlabonne/Hermes-Instruct-Merge", HERMES, "MERGE", 2, "llama3.1", conflict="WARNING",
              conflicts=(MERGE_MIXED,), extra_parents=(INSTRUCT,)),
    StubModel(LEGAL, INSTRUCT, "FINETUNE", 2, "mit", conflict="VIOLATION", conflicts=(RELICENSED,),
              license_before_relicensing="llama3.1"),
    StubModel("QuantFactory/llama31-instruct-lora-GGUF", LORA, "QUANTIZED", 3, "apache-2.0", conflict="VIOLATION",
              conflicts=(DROPPED_ATTRIBUTION,)),
    StubModel("acme/Llama-3.1-8B-legal-AWQ", LEGAL, "QUANTIZED", 3, "mit", conflict="VIOLATION", conflicts=(RELICENSED,),
              license_before_relicensing="llama3.1"),
    StubModel("old/deleted-finetune", LEGAL, "FINETUNE", 3, None, conflict="WARNING", status="DELETED",
              conflicts=(DELETED_PARENT,)),
    StubModel("unknown/not-crawled", HERMES, "UNKNOWN", 2, None, status="UNKNOWN"),
    StubModel(MISTRAL, None, None, 0, "apache-2.0"),
    StubModel("HuggingFaceH4/zephyr-7b-beta", MISTRAL, "FINETUNE", 1, "mit"),
    StubModel("TheBloke/zephyr-7B-beta-GGUF", "HuggingFaceH4/zephyr-7b-beta", "QUANTIZED", 2, "mit"),
    StubModel(LONELY, None, None, 0, "cc-by-nc-4.0"),
)
# A large synthetic family reachable by URL and search but not listed among the roots: 321 models,
# 250 of them at depth 1, so the page draws it truncated (300 nodes) and in rings.
BIG = "synthetic/big-base"
BIG_FAMILY: tuple[StubModel, ...] = (
    StubModel(BIG, None, None, 0, "apache-2.0"),
    *(StubModel(f"synthetic/child-{i:03d}", BIG, ("FINETUNE", "QUANTIZED", "ADAPTER")[i % 3], 1,
                "apache-2.0" if i % 7 else "cc-by-nc-4.0", conflict="VIOLATION" if i % 50 == 0 else "NONE")
      for i in range(250)),
    *(StubModel(f"synthetic/grandchild-{i:03d}", f"synthetic/child-{i % 10:03d}", "QUANTIZED", 2, "apache-2.0")
      for i in range(70)),
)
BY_ID = {m.id: m for m in MODELS + BIG_FAMILY}
DEPLOYMENTS_LISTED = 3  # the real API lists at most 1000 (deploymentsReachedCount counts all): the stub caps at 3 to show it

LICENSES = (
    {"id": "llama3.1", "family": "llama", "commercial": "CONDITIONAL"},
    {"id": "llama3", "family": "llama", "commercial": "CONDITIONAL"},
    {"id": "apache-2.0", "family": "apache", "commercial": "ALLOWED"},
    {"id": "mit", "family": "mit", "commercial": "ALLOWED"},
    {"id": "cc-by-nc-4.0", "family": "creative-commons", "commercial": "NON_COMMERCIAL"},
    {"id": "gemma", "family": "gemma", "commercial": "ALLOWED"},
)
TERMS = (
    {"id": "llama3.1:attribution", "kind": "ATTRIBUTION", "description": "Display 'Built with Llama'."},
    {"id": "llama3.1:naming", "kind": "NAMING", "description": "Start derivative names with 'Llama'."},
    {"id": "llama3.1:aup", "kind": "USE_RESTRICTION", "description": "Acceptable use policy flows down."},
    {"id": "llama3.1:mau-700m", "kind": "COMMERCIAL_THRESHOLD", "description": "Licence needed above 700M MAU."},
    {"id": "cc-by-nc-4.0:non-commercial", "kind": "USE_RESTRICTION", "description": "No commercial use."},
)


def _relicensed(as_of: str | None) -> bool:
    return as_of is None or as_of >= RELICENSED_AT


def _as_of(model: StubModel, as_of: str | None) -> StubModel:
    """The model as it was at ``as_of``: before the relicensing, acme's models still declared llama3.1."""
    if model.license_before_relicensing and not _relicensed(as_of):
        return StubModel(model.id, model.parent, model.relation, model.depth, model.license_before_relicensing,
                         status=model.status, deployments=model.deployments, extra_parents=model.extra_parents,
                         known_since=model.known_since)
    return model


def _known_at(model: StubModel, as_of: str | None) -> bool:
    return as_of is None or model.known_since <= as_of


def _coverage(members: list[StubModel], as_of: str | None) -> dict[str, Any] | None:
    """Propagation.asOfCoverage: of the scope's models, how many are known at ``as_of`` (null without it)."""
    if as_of is None:
        return None
    starts = sorted(m.known_since for m in members)
    not_yet = sum(1 for m in members if not _known_at(m, as_of))
    return {"asOf": as_of, "known": len(members) - not_yet, "notYetKnown": not_yet,
            "earliestKnownSince": starts[0] if starts else None, "latestKnownSince": starts[-1] if starts else None}


def family_of(root: str) -> list[StubModel]:
    """The root and all its descendants (through the first parent), nearest depths first."""
    members = [BY_ID[root]]
    frontier = {root}
    while frontier:
        children = [m for m in MODELS + BIG_FAMILY if m.parent in frontier]
        members.extend(children)
        frontier = {m.id for m in children}
    return members


def _summary(m: StubModel) -> dict[str, Any]:
    return {"id": m.id, "author": m.author, "status": m.status, "declaredLicenseId": m.license, "conflictState": m.conflict}


def _details(m: StubModel) -> dict[str, Any]:
    commercial = {"llama3.1": "CONDITIONAL", "llama3": "CONDITIONAL", "apache-2.0": "ALLOWED", "mit": "ALLOWED",
                  "cc-by-nc-4.0": "NON_COMMERCIAL"}.get(m.license or "", "UNKNOWN")
    listed_only = m.depth >= 2  # the family's deeper members are known from the hub's listing only
    return {
        **_summary(m),
        "knownFrom": "LISTED" if listed_only else "CRAWLED",
        "listedAt": "2024-10-02T08:00:00+00:00",
        "crawledAt": None if listed_only else "2024-10-01T08:00:00+00:00",
        "knownSince": m.known_since,
        "commercialStatus": {
            "status": commercial,
            "threshold": "700M monthly active users" if commercial == "CONDITIONAL" else None,
            "licenseId": m.license,
            "reason": None if commercial != "UNKNOWN" else "No licence is known for this model.",
        },
        "conflicts": [
            {"ruleId": rule, "severity": sev, "message": msg, "path": [m.id, LLAMA] if m.id != LLAMA else [m.id],
             "licenses": [m.license or "unknown", "llama3.1"]}
            for rule, sev, msg in m.conflicts
        ],
    }


def _count(values: list[Any]) -> list[tuple[Any, int]]:
    out: dict[Any, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return list(out.items())


def propagation_for(members: list[StubModel], scope: str, as_of: str | None) -> dict[str, Any]:
    """A contract-shaped ``Propagation`` computed from the members (those known and as they were at ``as_of``)."""
    coverage = _coverage(members, as_of)
    members = [_as_of(m, as_of) for m in members if _known_at(m, as_of)]
    ids = {m.id for m in members}
    rules = [(rule, sev) for m in members for rule, sev, _ in m.conflicts]
    violate = sum(1 for m in members if m.conflict == "VIOLATION")
    llama_family = LLAMA in ids
    relicensing = []
    if llama_family:
        relicensing.append({"parent": _summary(BY_ID[INSTRUCT]), "child": _summary(BY_ID[LORA]),
                            "droppedTerms": ["llama3.1:attribution", "llama3.1:naming"],
                            "fromLicense": "llama3.1", "toLicense": "apache-2.0", "downstreamCount": 2})
        if _relicensed(as_of):
            relicensing.insert(0, {"parent": _summary(BY_ID[INSTRUCT]), "child": _summary(BY_ID[LEGAL]),
                                   "droppedTerms": ["llama3.1:aup", "llama3.1:attribution", "llama3.1:mau-700m"],
                                   "fromLicense": "llama3.1", "toLicense": "mit", "downstreamCount": 3})
    deployments = [
        {"id": d, "kind": kind, "modelId": m.id, "operator": op, "status": "running", "url": None}
        for m in members for d, kind, op in m.deployments
    ]
    term_flow = []
    if llama_family:
        below = len(members) - 1
        term_flow = [
            {"termId": "llama3.1:attribution", "kind": "ATTRIBUTION", "keep": below - violate - 1, "drop": 1, "violate": violate},
            {"termId": "llama3.1:aup", "kind": "USE_RESTRICTION", "keep": below - violate, "drop": 0, "violate": violate},
            {"termId": "llama3.1:naming", "kind": "NAMING", "keep": below - 3, "drop": 3, "violate": 0},
        ]
    return {
        "scope": scope,
        "totalModels": len(members),
        "byDepth": [{"depth": d, "count": c} for d, c in sorted(_count([m.depth for m in members]))],
        "byRelation": [{"relation": r, "count": c} for r, c in _count([m.relation for m in members if m.relation])],
        "termFlow": term_flow,
        "topRelicensingPoints": relicensing,
        "conflictsByRule": [
            {"ruleId": r, "severity": s, "count": c, "conflicts": c,
             "models": sum(1 for m in members if any((rule, sev) == (r, s) for rule, sev, _ in m.conflicts))}
            for (r, s), c in _count(rules)
        ],
        "deploymentsReached": deployments[:DEPLOYMENTS_LISTED],
        "deploymentsReachedCount": len(deployments),
        "conflicts": lambda info, rule=None, severity=None, first=50, after=None: _conflict_page(
            members, rule, severity, first, after),
        "asOfCoverage": coverage,
        "graph": lambda info, limit=300: {
            "truncated": len(members) > limit,
            "nodes": [{"id": m.id, "depth": m.depth, "licenseId": m.license, "conflictState": m.conflict, "status": m.status}
                      for m in members[:limit]],
            "edges": [{"child": m.id, "parent": p, "relation": m.relation}
                      for m in members[:limit] for p in ((m.parent,) if m.parent else ()) + m.extra_parents],
        },
    }


def _conflict_page(members: list[StubModel], rule: str | None, severity: str | None, first: int,
                   after: str | None) -> dict[str, Any]:
    """Propagation.conflicts: one row per conflict, by model id then rule; the cursor is the row's position."""
    rows = sorted(((m.id, r, s, msg) for m in members for r, s, msg in m.conflicts
                   if (rule is None or r == rule) and (severity is None or s == severity)), key=lambda x: (x[0], x[1]))
    start = int(after) if after else 0
    page = rows[start:start + first]
    edges = [{"modelId": mid, "ruleId": r, "severity": s, "message": msg, "licenses": [], "path": [mid], "sources": [],
              "cursor": str(start + i + 1)} for i, (mid, r, s, msg) in enumerate(page)]
    return {"totalCount": len(rows), "models": len({r[0] for r in rows}), "edges": edges,
            "pageInfo": {"hasNextPage": start + first < len(rows), "endCursor": edges[-1]["cursor"] if edges else None}}


def _propagation(info: Info, root: str | None = None, license: str | None = None,
                 term: str | None = None, asOf: str | None = None) -> dict[str, Any] | None:
    if root is not None:
        return propagation_for(family_of(root), f"root:{root}", asOf) if root in BY_ID else None
    if license is not None:
        members = [m for m in MODELS if _as_of(m, asOf).license == license]
        return propagation_for(members, f"license:{license}", asOf)
    if term is not None and term.startswith("llama3.1:"):
        return propagation_for(family_of(LLAMA), f"term:{term}", asOf)
    if term is not None:
        return propagation_for([], f"term:{term}", asOf)
    return None


def _models(info: Info, search: str | None = None, first: int = 50, **_: Any) -> dict[str, Any]:
    found = [m for m in MODELS + BIG_FAMILY if not search or search.lower() in m.id.lower()]
    return {"totalCount": len(found), "edges": [_summary(m) for m in found[:first]],
            "pageInfo": {"hasNextPage": len(found) > first, "endCursor": None}}


def _model(info: Info, id: str, asOf: str | None = None) -> dict[str, Any] | None:
    if id not in BY_ID:
        return None
    if not _known_at(BY_ID[id], asOf):
        since = BY_ID[id].known_since
        raise GraphQLError(f"{id} is not known before {since} (asOf {asOf})", extensions={
            "code": "NOT_KNOWN_AT_INSTANT", "knownSince": since, "asOf": asOf, "modelId": id})
    return _details(_as_of(BY_ID[id], asOf))


def _roots(info: Info, first: int = 50, after: str | None = None) -> dict[str, Any]:
    roots = [m for m in MODELS if m.parent is None]
    ranked = sorted(roots, key=lambda m: -len(family_of(m.id)))
    edges = [{"model": _summary(m), "descendantCount": len(family_of(m.id)) - 1} for m in ranked[:first]]
    return {"totalCount": len(ranked), "edges": edges, "pageInfo": {"hasNextPage": len(ranked) > first, "endCursor": None}}


def _upstream_of(model_id: str) -> set[str]:
    """The model and every model it derives from, at any depth (a model scope's changes)."""
    found: set[str] = set()
    frontier = [model_id]
    while frontier:
        current = frontier.pop()
        if current in found or current not in BY_ID:
            continue
        found.add(current)
        model = BY_ID[current]
        frontier.extend(((model.parent,) if model.parent else ()) + model.extra_parents)
    return found


def _changes(info: Info, **arguments: Any) -> dict[str, Any]:
    return resolve_changes(set(BY_ID), family_of, _upstream_of, **arguments)


ROOT_VALUE: dict[str, Any] = {
    "changes": _changes,
    "propagation": _propagation,
    "models": _models,
    "model": _model,
    "roots": _roots,
    "licenses": lambda info: [{**lic, "restrictions": [], "sourceUrls": [], "verified": True, "terms": []} for lic in LICENSES],
    "terms": lambda info: [{**t, "licenseIds": [t["id"].split(":")[0]]} for t in TERMS],
}


def create_stub_app() -> FastAPI:
    """The dashboard router plus a contract-executing ``/graphql`` and a stub dossier page."""
    app = FastAPI()
    app.state.requests = []
    app.include_router(router)

    @app.post("/graphql")
    async def graphql_endpoint(request: Request) -> JSONResponse:
        body = await request.json()
        app.state.requests.append(body)
        result = graphql_sync(SCHEMA, body["query"], root_value=ROOT_VALUE, variable_values=body.get("variables"),
                              operation_name=body.get("operationName"))
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": e.message, **({"extensions": e.extensions} if e.extensions else {})}
                                 for e in result.errors]
        return JSONResponse(payload)

    @app.get("/investigations/{model_id:path}")
    async def dossier(model_id: str, format: str = "md", asOf: str | None = None) -> HTMLResponse:
        at = f"as of {asOf}" if asOf else "now"
        return HTMLResponse(f"<!doctype html><title>Dossier</title><h1>Dossier: {html.escape(model_id)}</h1>"
                            f"<p id='format'>{html.escape(format)}</p><p id='as-of'>{html.escape(at)}</p>")

    return app
