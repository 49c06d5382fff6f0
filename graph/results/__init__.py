"""Propagation results in the graph: the engine's input read, results recomputed and stored, results read, family aggregates."""
