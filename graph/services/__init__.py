"""Async read services over the graph (for the API) and the batched reads they are made of.

The reads of :mod:`graph.reads` and the batched plans here are generators of queries
(see :mod:`graph.reads._common`); :class:`GraphReader` runs them over the async driver.
"""

from graph.services.aggregate import FamilyEdge, FamilyNode, PropagationSummary, RelicensingPoint, TermFlow
from graph.services.models import facts_of_ref
from graph.services.propagation import ModelResult
from graph.services.reader import GraphReader
from graph.services.registry import REGISTERED_EVIDENCE, Registration, registration
from graph.services.types import EdgePage, HistoryEvent, MaterialisedSummary, ModelFacts, ModelPage, RootEntry

__all__ = [
    "REGISTERED_EVIDENCE",
    "EdgePage",
    "FamilyEdge",
    "FamilyNode",
    "GraphReader",
    "HistoryEvent",
    "MaterialisedSummary",
    "ModelFacts",
    "ModelPage",
    "ModelResult",
    "PropagationSummary",
    "Registration",
    "RelicensingPoint",
    "RootEntry",
    "TermFlow",
    "facts_of_ref",
    "registration",
]
