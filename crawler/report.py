"""CrawlReport: what a crawl produced, what went wrong (bounded samples) and what it cost.

Counters only grow; samples of problems are de-duplicated and capped per kind, so a crawl
over a million models keeps a report of constant size.
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

    def record(self, observation: Observation) -> None:
        """Count one yielded observation (and sample it if it is a problem)."""
        self.observations[type(observation).__name__] += 1
        if isinstance(observation, ModelSeen):
            self.models_by_status[observation.status.value] += 1
        elif isinstance(observation, ProblemSeen):
            self._sample(observation.kind, f"{observation.model_id}: {observation.message}")

    def _sample(self, kind: ProblemKind, text: str) -> None:
        self.problems[kind.value] += 1
        samples = self.problem_samples.setdefault(kind.value, [])
        if len(samples) < self.max_samples_per_kind and text not in samples:
            samples.append(text)

    @property
    def models_ingested(self) -> int:
        """Models whose metadata was read (not those known only by id, deleted or unreachable)."""
        return self.models_by_status[ModelStatus.AVAILABLE.value]

    @property
    def models_seen(self) -> int:
        """Every ModelSeen yielded, whatever its status."""
        return self.observations[ModelSeen.__name__]

    @property
    def requests_per_model(self) -> float | None:
        """Hub requests per model ingested (the efficiency figure); None before any model."""
        if self.models_ingested == 0:
            return None
        return self.hub_requests / self.models_ingested

    def merge(self, other: CrawlReport) -> None:
        """Add another report's counts to this one (samples stay bounded)."""
        self.observations.update(other.observations)
        self.models_by_status.update(other.models_by_status)
        self.hub_requests += other.hub_requests
        for kind, count in other.problems.items():
            self.problems[kind] += count
            samples = self.problem_samples.setdefault(kind, [])
            for text in other.problem_samples.get(kind, []):
                if len(samples) < self.max_samples_per_kind and text not in samples:
                    samples.append(text)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "observations": dict(sorted(self.observations.items())),
            "models_by_status": dict(sorted(self.models_by_status.items())),
            "problems": dict(sorted(self.problems.items())),
            "problem_samples": {kind: list(texts) for kind, texts in sorted(self.problem_samples.items())},
            "hub_requests": self.hub_requests,
            "models_ingested": self.models_ingested,
            "requests_per_model": self.requests_per_model,
        }
