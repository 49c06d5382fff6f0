"""The queues tasks are routed to; each pool of workers can be scaled on its own."""

from __future__ import annotations

import enum

__all__ = ["Queue"]


class Queue(enum.StrEnum):
    HUB = "hub"  # talks to a model hub (I/O bound, rate limited)
    GRAPH = "graph"  # writes to Neo4j
    PROPAGATION = "propagation"  # recomputes licence propagation
    MAINTENANCE = "maintenance"  # scheduled refresh, staleness, diagnostics, dispatch of changes to watches
    NOTIFY = "notify"  # delivers events to webhooks (outbound HTTP to receivers, retried for a day)
