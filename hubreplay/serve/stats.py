"""Request counters of the replay hub (``GET /_replay/stats``): what a crawl cost in Hub requests."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["ROUTES", "RequestStats"]

ROUTES = (
    "models.list",
    "models.info",
    "models.revision",
    "models.commits",
    "models.tree",
    "resolve",
    "spaces.list",
    "spaces.info",
    "other",
)


class RequestStats:
    """Counts Hub requests: in total, per route, per HTTP status and per route and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._by_route: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._by_route_status: Counter[tuple[str, int]] = Counter()

    def record(self, route: str, status: int) -> None:
        with self._lock:
            self._total += 1
            self._by_route[route] += 1
            self._by_status[status] += 1
            self._by_route_status[(route, status)] += 1

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._by_route.clear()
            self._by_status.clear()
            self._by_route_status.clear()

    @property
    def total(self) -> int:
        return self._total

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            per_route: dict[str, dict[str, int]] = {}
            for (route, status), count in sorted(self._by_route_status.items()):
                per_route.setdefault(route, {})[str(status)] = count
            return {
                "total": self._total,
                "by_route": dict(sorted(self._by_route.items())),
                "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                "by_route_status": per_route,
            }
