"""CrawlReport: what a crawl produced, what went wrong (bounded samples) and what it cost.

``observations`` counts every observation yielded (a model re-yielded by a later call of the
same source counts again). ``models_ingested`` and ``problems`` count distinct facts: a
model id read once, a problem (model, kind, message) seen once — so the efficiency figure,
hub requests per model ingested, is not flattered by repeats. Samples of problems are
de-duplicated and capped per kind; the only state that grows is one small hash per distinct
model and problem.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crawler.observations import ModelSeen, ModelStatus, Observation, ProblemKind, ProblemSeen

__all__ = ["CrawlReport"]


@dataclass
class CrawlReport:
    """Counts observations by type and problems by kind, with bounded de-duplicated samples."""

    max_samples_per_kind: int = 10
    observations: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    problem_samples: dict[str, list[str]] = field(default_factory=dict)
    models_by_status: Counter[str] = field(default_factory=Counter)
    hub_requests: int = 0
    history_requests: int = 0  # of hub_requests, those spent reading commit histories (crawler.history)
    _models: set[int] = field(default_factory=set, repr=False)
    _problem_keys: set[int] = field(default_factory=set, repr=False)

    def record(self, observation: Observation) -> None:
        """Count one yielded observation (and sample it if it is a problem)."""
        self.observations[type(observation).__name__] += 1
        if isinstance(observation, ModelSeen):
            key = hash((observation.id.lower(), observation.status.value))
            if key not in self._models:
                self._models.add(key)
                self.models_by_status[observation.status.value] += 1
        elif isinstance(observation, ProblemSeen):
            key = hash((observation.model_id, observation.kind.value, observation.message))
            if key not in self._problem_keys:
                self._problem_keys.add(key)
                self._sample(observation.kind, f"{observation.model_id}: {observation.message}")

    def _sample(self, kind: ProblemKind, text: str) -> None:
        self.problems[kind.value] += 1
        samples = self.problem_samples.setdefault(kind.value, [])
        if len(samples) < self.max_samples_per_kind and text not in samples:
            samples.append(text)

    @property
    def models_ingested(self) -> int:
        """Distinct models whose metadata was read (not deleted, gated or unreachable ones)."""
        return self.models_by_status[ModelStatus.AVAILABLE.value]

    @property
    def requests_per_model(self) -> float | None:
        """Hub requests per model ingested (the efficiency figure); None before any model."""
        if self.models_ingested == 0:
            return None
        return self.hub_requests / self.models_ingested

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "observations": dict(sorted(self.observations.items())),
            "models_by_status": dict(sorted(self.models_by_status.items())),
            "problems": dict(sorted(self.problems.items())),
            "problem_samples": {kind: list(texts) for kind, texts in sorted(self.problem_samples.items())},
            "hub_requests": self.hub_requests,
            "history_requests": self.history_requests,
            "models_ingested": self.models_ingested,
            "requests_per_model": self.requests_per_model,
        }
