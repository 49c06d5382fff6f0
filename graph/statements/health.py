"""Statements that show the graph answers: the version probe and the counts of health reports."""

from __future__ import annotations

__all__ = ["GRAPH_COUNTS", "MODEL_COUNT", "PROBE"]

PROBE = "RETURN 1"
"""The cheapest statement: its bookmark is the graph's version (:mod:`graph.version`)."""

GRAPH_COUNTS = """
CALL () { MATCH (m:Model) RETURN count(m) AS models }
CALL () { MATCH ()-[r:DERIVED_FROM]->() RETURN count(r) AS derivations }
RETURN models, derivations
"""
"""Models and DERIVED_FROM versions (the API's health report)."""

MODEL_COUNT = "MATCH (m:Model) RETURN count(m) AS models"
"""Models (a worker's diagnostics report)."""
