"""The stub API's change records (``Query.changes``), for the dashboard's "What changed" feed.

Realistic records of the stub's families, in the shape the real API answers (``api.watches.types.Change``,
``details`` by kind as in ``graph.changes.kinds.Change``), recorded at fixed offsets before the moment
they are asked for, so that relative times on the page ("2 hours ago") are predictable:

* the Llama 3.1 family: 25 changes in the last 60 days (acme's relicensing as MIT with the conflicts and
  terms it changes, a gated root, a new adapter, a deletion, a new Space, the models added) — more than
  a page of the feed — and one 120 days ago, outside the feed's 90-day window;
* the Mistral family: a quantization added yesterday;
* the lone root, the licence gemma: none.

The resolver honours the arguments as the real one does: exactly one of model, root, license, term;
``since`` (default: 7 days back); ``kinds``; ``newestFirst``; ``first`` and ``after`` (keyset by
(recordedAt, id); a cursor of one order is refused by the other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLError

__all__ = ["STUB_CHANGES", "StubChange", "resolve_changes"]

FamilyOf = Callable[[str], Iterable[Any]]  # a root's members (objects with an ``id``)
UpstreamOf = Callable[[str], set[str]]  # a model and the ids it derives from

LLAMA = "meta-llama/Llama-3.1-8B"
INSTRUCT = "meta-llama/Llama-3.1-8B-Instruct"
HERMES = "NousResearch/Hermes-3-Llama-3.1-8B"
LORA = "someone/llama31-instruct-lora"
LEGAL = "acme/Llama-3.1-8B-legal"
LEGAL_AWQ = "acme/Llama-3.1-8B-legal-AWQ"
ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"
ZEPHYR_GGUF = "TheBloke/zephyr-7B-beta-GGUF"
LLAMA_TERMS = ("llama3.1:attribution", "llama3.1:aup", "llama3.1:mau-700m", "llama3.1:naming")
DEFAULT_SINCE = timedelta(days=7)


@dataclass(frozen=True)
class StubChange:
    id: str
    hours_ago: float
    kind: str
    model_id: str
    details: dict[str, Any]
    licenses: tuple[str, ...] = ("llama3.1",)
    terms: tuple[str, ...] = LLAMA_TERMS
    batch: str = "sweep-stub"


def _conflict(rule: str, severity: str, path: list[str], licenses: list[str]) -> dict[str, Any]:
    return {"rule": rule, "severity": severity, "path": path, "licenses": licenses}


RELICENSED = _conflict("relicensed-without-flow-down", "violation", [LEGAL, INSTRUCT, LLAMA], ["mit", "llama3.1"])
DAY = 24.0
STUB_CHANGES: tuple[StubChange, ...] = (
    StubChange("c01", 2, "LICENSE_CHANGED", LEGAL, {"old": "llama3.1", "new": "mit", "validFrom": "2024-09-01T00:00:00Z"},
               licenses=("llama3.1", "mit")),
    StubChange("c02", 2, "CONFLICT_OPENED", LEGAL, RELICENSED, licenses=("llama3.1", "mit")),
    StubChange("c03", 2, "CONFLICT_OPENED", LEGAL_AWQ,
               {**RELICENSED, "path": [LEGAL_AWQ, LEGAL, INSTRUCT, LLAMA]}, licenses=("llama3.1", "mit")),
    StubChange("c04", 2, "EFFECTIVE_TERMS_CHANGED", LEGAL, {
        "licensesAdded": ["mit"], "licensesRemoved": [], "termsAdded": [], "termsRemoved": ["llama3.1:mau-700m"],
        "droppedAdded": ["llama3.1:attribution", "llama3.1:aup"], "droppedRemoved": [],
        "violatedAdded": ["llama3.1:aup"], "violatedRemoved": [], "commercialOld": "conditional", "commercialNew": "allowed",
    }, licenses=("llama3.1", "mit")),
    StubChange("c05", 5, "DEPLOYMENT_ADDED", INSTRUCT, {"deployment": "space:hf-demo/llama-chat"}),
    StubChange("c06", DAY + 3, "MODEL_GATED", LLAMA, {"old": "open", "new": "manual"}),
    StubChange("c07", 2 * DAY, "DERIVATION_ADDED", LORA, {"parent": INSTRUCT, "relation": "adapter",
                                                          "validFrom": "2024-08-02T10:00:00Z"}, licenses=("apache-2.0", "llama3.1")),
    StubChange("c08", 2 * DAY, "MODEL_ADDED", LORA, {
        "knownFrom": "listed", "license": "apache-2.0", "licenseValidFrom": None, "deployments": 0,
        "parents": [{"parent": INSTRUCT, "relation": "adapter", "validFrom": "2024-08-02T10:00:00Z"}],
    }, licenses=("apache-2.0",)),
    StubChange("c09", 3 * DAY, "CONFLICT_OPENED", LORA,
               _conflict("llama-attribution-dropped", "violation", [LORA, INSTRUCT, LLAMA], ["apache-2.0", "llama3.1"]),
               licenses=("apache-2.0", "llama3.1")),
    StubChange("c10", 4 * DAY, "MODEL_DELETED", "old/deleted-finetune", {"old": "available"}),
    StubChange("c11", 6 * DAY, "CONFLICT_RESOLVED", "mlabonne/Hermes-Instruct-Merge",
               _conflict("parent-gated-unverified", "info", ["mlabonne/Hermes-Instruct-Merge", HERMES], ["llama3.1"])),
    StubChange("c12", 8 * DAY, "DERIVATION_CLOSED", "unknown/not-crawled", {"parent": INSTRUCT, "relation": "unknown"}),
    StubChange("c13", 10 * DAY, "MODEL_UNGATED", "unsloth/Meta-Llama-3.1-8B-bnb-4bit", {"old": "auto", "new": "open"}),
    StubChange("c14", 12 * DAY, "EFFECTIVE_TERMS_CHANGED", HERMES, {
        "licensesAdded": ["llama3"], "licensesRemoved": [], "termsAdded": ["llama3.1:naming"], "termsRemoved": [],
        "droppedAdded": [], "droppedRemoved": [], "violatedAdded": [], "violatedRemoved": [],
        "commercialOld": "conditional", "commercialNew": "conditional",
    }, licenses=("llama3", "llama3.1")),
    *(StubChange(f"c{15 + i:02d}", (20 + 4 * i) * DAY, "MODEL_ADDED", model, {"knownFrom": known_from})
      for i, (model, known_from) in enumerate((
          ("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "listed"), ("QuantFactory/llama31-instruct-lora-GGUF", "listed"),
          (LEGAL_AWQ, "listed"), ("mlabonne/Hermes-Instruct-Merge", "listed"), ("unknown/not-crawled", None),
          (HERMES, "crawled"), (INSTRUCT, "crawled"), (LLAMA, "crawled"), ("unsloth/Meta-Llama-3.1-8B-bnb-4bit", "crawled"),
          (LEGAL, "crawled"),
      ))),
    StubChange("c25", 60 * DAY, "LICENSE_CHANGED", LLAMA, {"old": None, "new": "llama3.1", "validFrom": "2024-07-23T00:00:00Z"}),
    # outside the feed's 90-day window
    StubChange("c26", 120 * DAY, "DEPLOYMENT_ADDED", LLAMA, {"deployment": f"provider:together/{LLAMA}"}),
    # the Mistral family
    StubChange("c27", DAY + 1, "DERIVATION_ADDED", ZEPHYR_GGUF, {"parent": ZEPHYR, "relation": "quantized", "validFrom": None},
               licenses=("mit",), terms=()),
    StubChange("c28", DAY + 1, "MODEL_ADDED", ZEPHYR_GGUF, {"knownFrom": "listed"}, licenses=("mit",), terms=()),
)


def _row(change: StubChange, now: datetime) -> tuple[datetime, dict[str, Any]]:
    at = (now - timedelta(hours=change.hours_ago)).replace(microsecond=0)
    return at, {
        "id": change.id, "kind": change.kind, "modelId": change.model_id, "batch": change.batch,
        "recordedAt": at.isoformat(), "details": change.details, "licenses": list(change.licenses),
        "terms": list(change.terms),
        "evidence": {"sourceUrl": f"https://huggingface.co/{change.model_id}", "revision": None,
                     "observedAt": at.isoformat(), "kbVersion": None},
    }


def _in_scope(change: StubChange, kind: str, value: str, family_of: FamilyOf, upstream_of: UpstreamOf) -> bool:
    if kind == "root":
        return change.model_id in {m.id for m in family_of(value)}
    if kind == "model":
        return change.model_id in upstream_of(value)
    if kind == "license":
        return value in change.licenses
    return value in change.terms


def resolve_changes(known_models: set[str], family_of: FamilyOf, upstream_of: UpstreamOf, *, scope: dict[str, Any] | None = None,
                    since: str | None = None, kinds: list[str] | None = None, first: int = 50, after: str | None = None,
                    newestFirst: bool = False) -> dict[str, Any]:  # noqa: N803 - the API's argument names
    """``Query.changes`` over :data:`STUB_CHANGES`, recorded relative to now."""
    now = datetime.now(UTC)
    given = {k: v for k, v in (scope or {}).items() if v is not None}
    if scope is not None and len(given) != 1:
        raise GraphQLError("scope takes exactly one of model, root, license or term",
                           extensions={"code": "BAD_USER_INPUT", "argument": "scope"})
    [(kind, value)] = given.items() if given else [("all", "")]
    if kind in ("root", "model") and value not in known_models:
        raise GraphQLError(f"scope.{kind} {value!r} is not a model Lineage knows",
                           extensions={"code": "NOT_FOUND", "argument": f"scope.{kind}", "id": value})
    start = datetime.fromisoformat(since) if since else now - DEFAULT_SINCE
    rows = sorted((_row(c, now) for c in STUB_CHANGES
                   if (kind == "all" or _in_scope(c, kind, value, family_of, upstream_of))
                   and (not kinds or c.kind in kinds)),
                  key=lambda r: (r[0], r[1]["id"]), reverse=newestFirst)
    rows = [r for r in rows if r[0] >= start]
    order = "newest" if newestFirst else "oldest"
    position = 0
    if after is not None:
        cursor_order, _, index = after.partition(":")
        if cursor_order != order or not index.isdigit():
            raise GraphQLError(f"after {after!r} is not a cursor of this list", extensions={"code": "BAD_USER_INPUT"})
        position = int(index)
    page = rows[position:position + first]
    edges = [{"cursor": f"{order}:{position + i + 1}", "node": node} for i, (_, node) in enumerate(page)]
    has_next = position + first < len(rows)
    return {"edges": edges, "pageInfo": {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges and has_next else None}}
