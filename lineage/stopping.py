"""Stop several things at once, within a bound: what a command started, stopped in parallel.

``lineage demo`` starts Neo4j, Redis, the replay hub, a Celery worker and the API server. Stopped
one after the other, their clean shutdowns add up (Neo4j alone may take several seconds); stopped
together, the slowest one decides. :class:`Stops` runs every registered stop in its own thread
and waits at most ``timeout_s``; each stop is itself bounded (SIGTERM, then SIGKILL past its time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

__all__ = ["Stops"]


class Stops:
    """Named stop functions, run together (in reverse order of registration as a tie-break) on exit."""

    def __init__(self, timeout_s: float = 9.5, report: Callable[[str], None] | None = None) -> None:
        self.timeout_s = timeout_s
        self._stops: list[tuple[str, Callable[[], object]]] = []
        self._report = report or (lambda _line: None)

    def add(self, name: str, stop: Callable[[], object]) -> None:
        self._stops.append((name, stop))

    def __enter__(self) -> Stops:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()

    def stop_all(self) -> list[str]:
        """Run every stop concurrently; returns the names of those still running at the bound."""
        stops, self._stops = list(reversed(self._stops)), []
        threads: list[tuple[str, threading.Thread]] = []
        for name, stop in stops:
            thread = threading.Thread(target=self._run, args=(name, stop), name=f"stop-{name}", daemon=True)
            thread.start()
            threads.append((name, thread))
        deadline = time.monotonic() + self.timeout_s
        for _, thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        left = [name for name, thread in threads if thread.is_alive()]
        for name in left:
            self._report(f"{name} did not stop within {self.timeout_s:g}s")
        return left

    def _run(self, name: str, stop: Callable[[], object]) -> None:
        try:
            stop()
            self._report(f"stopped {name}")
        except Exception as exc:  # noqa: BLE001 - one failed stop must not keep the others from running
            self._report(f"stopping {name} failed: {exc}")
