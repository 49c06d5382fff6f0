"""Propagation over GraphQL: per-model results live on ``Model``; ``propagation(...)`` aggregates a scope."""
