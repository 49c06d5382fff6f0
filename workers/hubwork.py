"""Hub work of one unit, on top of :class:`crawler.source.HubSource`: observations grouped per model.

The crawler never raises for hub trouble: it records it as observations. Two of them mean
"the hub could not be asked, try later" rather than a fact — :func:`is_transient`:

* a model fetch whose retries ran out: ``ModelSeen(status=UNAVAILABLE)`` with a
  ``HUB_ERROR`` or ``RATE_LIMITED`` problem;
* a listing whose retries ran out: a ``RATE_LIMITED`` / ``HUB_ERROR`` problem on the listed
  model whose message says the retries were exhausted (``gave up after N attempts``).

A unit with such an outcome is tried again later (with backoff) before the problem is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from crawler.history import HISTORY_PROBLEM
from crawler.observations import (
    DeclarationHistory,
    AliasSeen,
    DeploymentSeen,
    DerivationSeen,
    FileSeen,
    ModelSeen,
    ModelStatus,
    Observation,
    ProblemKind,
    ProblemSeen,
)
from crawler.source import HubSource

__all__ = [
    "Grouped",
    "HubOutcome",
    "crawl_model",
    "group_by_model",
    "is_transient",
    "list_children",
    "list_deployers",
    "subject_of",
]

_EXHAUSTED = "gave up after"


def subject_of(observation: Observation) -> str | None:
    """The model an observation is about (None for an alias, which is about two)."""
    if isinstance(observation, ModelSeen):
        return observation.id
    if isinstance(observation, DerivationSeen):
        return observation.child_id
    if isinstance(observation, DeploymentSeen | FileSeen | ProblemSeen | DeclarationHistory):
        return observation.model_id
    return None


def is_transient(observation: Observation) -> bool:
    """True for an outcome meaning "the hub could not be asked", as opposed to a fact about a model."""
    if isinstance(observation, ModelSeen):
        return observation.status is ModelStatus.UNAVAILABLE
    if isinstance(observation, ProblemSeen):
        if observation.message.startswith(HISTORY_PROBLEM):
            return False  # a gap in a model's history: its current facts were read, nothing to retry
        return observation.kind is ProblemKind.RATE_LIMITED or (
            observation.kind is ProblemKind.HUB_ERROR and _EXHAUSTED in observation.message
        )
    return False


@dataclass
class Grouped:
    """Observations per subject model in first-seen order, and those about no single model (aliases)."""

    by_model: dict[str, list[Observation]] = field(default_factory=dict)
    other: list[Observation] = field(default_factory=list)

    def models_seen(self) -> dict[str, ModelSeen]:
        """The ModelSeen of each group that has one (the last, if a model was seen twice)."""
        out: dict[str, ModelSeen] = {}
        for group in self.by_model.values():
            for observation in group:
                if isinstance(observation, ModelSeen):
                    out[observation.id] = observation
        return out

    def select(self, keep: Callable[[str], bool]) -> list[Observation]:
        """Aliases plus the groups of the models ``keep`` accepts, group by group."""
        out = list(self.other)
        for model_id, group in self.by_model.items():
            if keep(model_id):
                out.extend(group)
        return out


def group_by_model(observations: Iterable[Observation]) -> Grouped:
    grouped = Grouped()
    for observation in observations:
        subject = subject_of(observation)
        if subject is None:
            grouped.other.append(observation)
        else:
            grouped.by_model.setdefault(subject, []).append(observation)
    return grouped


@dataclass
class HubOutcome:
    """What one piece of hub work produced: observations, whether a failure may pass, the id the hub used."""

    observations: list[Observation]
    current_id: str | None = None

    @property
    def transient(self) -> list[Observation]:
        return [o for o in self.observations if is_transient(o)]


def crawl_model(
    source: HubSource, model_id: str, *, up: bool, stop_at: Callable[[str], bool] | None = None
) -> HubOutcome:
    """The model (and, with ``up``, its ancestors to the roots, except those ``stop_at`` names)."""
    stream: Iterator[Observation] = source.iter_up(model_id, stop_at=stop_at) if up else source.iter_model(model_id)
    observations = list(stream)
    current = model_id
    for observation in observations:
        if isinstance(observation, AliasSeen) and observation.old_id == model_id:
            current = observation.new_id
    return HubOutcome(observations, current)


def list_children(source: HubSource, parent: str, *, breadth: int) -> HubOutcome:
    """One level of children of ``parent`` (every relation), many per request."""
    return HubOutcome(list(source.iter_children(parent, depth=1, breadth=breadth)), parent)


def list_deployers(source: HubSource, model_id: str) -> HubOutcome:
    """Spaces using the model and inference providers serving it."""
    outcome = HubOutcome(list(source.iter_deployers(model_id)), model_id)
    for observation in outcome.observations:
        if isinstance(observation, AliasSeen) and observation.old_id == model_id:
            outcome.current_id = observation.new_id
    return outcome
