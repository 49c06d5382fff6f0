"""Hosts counted by kind: how many Spaces, inference providers, endpoints and registered
deployments serve the subject or a model derived from it, and where the source caps the list.

The Hub names at most :data:`~crawler.deployments.HUB_SPACES_PER_MODEL` Spaces in a model's
metadata, so a model recorded with exactly that many Spaces may be used by more: its count is a
floor, never a total, and the dossier says so. (A model recorded with more came from the Hub's
Space listing, which pages and is not cut at that number.) The other kinds are not capped by
their source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from crawler.deployments import HUB_SPACES_PER_MODEL
from crawler.observations import DeploymentKind
from graph.reads import Deployment
from reports.dossier.model import CappedList, HostCount

__all__ = ["KIND_WORDS", "SOURCE_CAPS", "cap_words", "count_hosts", "kind_words"]

SOURCE_CAPS: dict[DeploymentKind, int] = {DeploymentKind.SPACE: HUB_SPACES_PER_MODEL}
"""The most deployments of a kind the source lists per model (kinds absent: not capped)."""

KIND_WORDS: dict[str, tuple[str, str]] = {
    DeploymentKind.SPACE.value: ("Hub Space", "Hub Spaces"),
    DeploymentKind.INFERENCE_PROVIDER.value: ("inference provider", "inference providers"),
    DeploymentKind.ENDPOINT.value: ("inference endpoint", "inference endpoints"),
    DeploymentKind.REGISTERED.value: ("registered deployment", "registered deployments"),
}
_ORDER = [k.value for k in (DeploymentKind.SPACE, DeploymentKind.INFERENCE_PROVIDER, DeploymentKind.ENDPOINT,
                            DeploymentKind.REGISTERED)]


def kind_words(kind: str, count: int) -> str:
    """``1 Hub Space``, ``100 Hub Spaces``, ``2 inference providers``."""
    one, many = KIND_WORDS.get(kind, (f"{kind} deployment", f"{kind} deployments"))
    return f"{count:,} {one if count == 1 else many}"


def cap_words(host: HostCount, capped: CappedList) -> str:
    """The cap disclosed for one served model ("the Hub lists at most 100 Spaces per model; 100 listed, …")."""
    many = KIND_WORDS.get(host.kind, (host.kind, f"{host.kind} deployments"))[1].removeprefix("Hub ")
    cap = host.source_cap if host.source_cap is not None else capped.listed
    return f"the Hub lists at most {cap:,} {many} per model; {capped.listed:,} listed, more may exist"


def count_hosts(reached: Iterable[Deployment]) -> tuple[HostCount, ...]:
    """Every deployment reached, counted by kind (Spaces first), with the models whose list is capped."""
    totals: Counter[str] = Counter()
    direct: Counter[str] = Counter()
    per_model: Counter[tuple[str, str]] = Counter()
    for d in reached:
        kind = d.kind.value if isinstance(d.kind, DeploymentKind) else str(d.kind)
        totals[kind] += 1
        direct[kind] += d.depth == 0
        per_model[(kind, d.model_id)] += 1
    out = []
    for kind in sorted(totals, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k)):
        cap = SOURCE_CAPS.get(DeploymentKind(kind)) if kind in _ORDER else None
        models = sorted(m for k, m in per_model if k == kind)
        capped = tuple(CappedList(m, per_model[(kind, m)]) for m in models
                       if cap is not None and per_model[(kind, m)] == cap)
        out.append(HostCount(kind=kind, total=totals[kind], direct=direct[kind], models=len(models),
                             source_cap=cap, capped=capped))
    return tuple(out)
