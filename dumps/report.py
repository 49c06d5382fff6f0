"""ImportReport: what an import read, wrote and found wrong (bounded samples, each with its row), and where the time went."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crawler.observations import DerivationSeen, ModelSeen, Observation, ProblemSeen

__all__ = ["ImportReport"]


@dataclass
class ImportReport:
    """Counts of one import run (a resumed run counts from where it resumed)."""

    path: str
    revision: str
    observed_from: str
    start_row: int = 0
    next_row: int = 0  # the first row not yet written (what a checkpoint records)
    rows_read: int = 0
    rows_without_model: int = 0  # no valid id: reported here only
    models: int = 0
    derivations: int = 0
    licenses: int = 0  # models that declare a licence (card or license: tag)
    base_models_used: int = 0  # rows whose lineage came from baseModels (no base_model: tag)
    problems: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[str]] = field(default_factory=dict)
    batches: int = 0
    retries: int = 0
    retry_wait_s: float = 0.0
    seconds: float = 0.0
    read_s: float = 0.0  # Parquet → Python rows
    convert_s: float = 0.0  # row → Hub JSON → ModelInfo
    observe_s: float = 0.0  # observe_listed
    write_s: float = 0.0  # GraphWriter.write, retries included
    max_samples_per_kind: int = 10

    def record(self, observations: list[Observation]) -> None:
        """Count what one row gave."""
        for observation in observations:
            if isinstance(observation, ModelSeen):
                self.models += 1
                self.licenses += observation.declared_license is not None
            elif isinstance(observation, DerivationSeen):
                self.derivations += 1
            elif isinstance(observation, ProblemSeen):
                self.problem(observation.kind.value, observation.source.url.rsplit("#", 1)[-1],
                             f"{observation.model_id}: {observation.message}")

    def problem(self, kind: str, where: str, text: str) -> None:
        """Count one problem and keep it as a sample ("row=N id: message") while there is room."""
        self.problems[kind] += 1
        samples = self.samples.setdefault(kind, [])
        if len(samples) < self.max_samples_per_kind:
            samples.append(f"{where} {text}")

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0
