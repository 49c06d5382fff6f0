"""Seeded, reproducible fault injection for the replay hub.

A decision depends only on the seed, the request (method, path, sorted query) and how many
times that same request was seen before, never on timing or on other requests. So a crawl run
twice against the same seed meets the same faults at the same places, even with several
concurrent workers, and a retried request draws again (a 429 is not forever).
Malformed cards are decided per model id, so a broken card stays broken for the whole run.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

from hubreplay.serve.settings import FaultConfig, MalformedMode

__all__ = ["FaultDecision", "FaultInjector"]


@dataclass(frozen=True, slots=True)
class FaultDecision:
    """What to do to one request: answer with ``status`` (None = serve normally) after ``delay_ms``."""

    status: int | None = None
    delay_ms: int = 0
    retry_after_s: int | None = None
    unparsable: bool = False


NO_FAULT = FaultDecision()


class FaultInjector:
    """Holds the current :class:`FaultConfig` and decides, per request, which fault (if any) to inject."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or FaultConfig()
        self._seen: Counter[str] = Counter()

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration and forget which requests were seen (a fresh, reproducible run)."""
        with self._lock:
            self._config = config
            self._seen.clear()

    def decide(self, route: str, method: str, path: str, query: str) -> FaultDecision:
        config = self._config
        if not config.active or (config.routes is not None and route not in config.routes):
            return NO_FAULT
        key = f"{method} {path}?{query}"
        with self._lock:
            occurrence = self._seen[key]
            self._seen[key] = occurrence + 1
        rng = random.Random(f"{config.seed}|{key}|{occurrence}")
        draw = rng.random()
        status: int | None = None
        threshold = 0.0
        for code, rate in (
            (429, config.rate_429),
            (500, config.rate_500),
            (502, config.rate_502),
            (503, config.rate_503),
        ):
            threshold += rate
            if draw < threshold:
                status = code
                break
        delay = config.slow_ms if config.slow_rate and rng.random() < config.slow_rate else 0
        unparsable = status is None and bool(config.unparsable_rate) and rng.random() < config.unparsable_rate
        if status is None and delay == 0 and not unparsable:
            return NO_FAULT
        return FaultDecision(
            status=status,
            delay_ms=delay,
            retry_after_s=config.retry_after_s if status == 429 else None,
            unparsable=unparsable,
        )

    def malformed(self, model_id: str) -> MalformedMode | None:
        """How this model's card is broken in this run, or None."""
        config = self._config
        if not config.malformed_card_rate:
            return None
        rng = random.Random(f"{config.seed}|malformed|{model_id}")
        if rng.random() >= config.malformed_card_rate:
            return None
        return config.malformed_modes[rng.randrange(len(config.malformed_modes))]
