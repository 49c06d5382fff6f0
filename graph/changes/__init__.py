"""Change records: what changed in the graph, recorded by every write batch and propagation recompute.

A change record (``(:Change)`` node) says one thing that changed about one model — added, deleted,
gated or un-gated, its declared licence, a derivation opened or closed, a deployment added, its
effective terms, a conflict opened or resolved — with the batch that changed it (a crawl or sweep
job, an import run, a deployment registration, a recompute), when it was recorded and its evidence.

How changes are found (:mod:`graph.changes.capture`): each model carries the state last
*announced* (``ann_*`` properties). After a batch writes some models, and after a recompute stores
their results, their current state is compared with the announced one in the same transaction
that records the difference and announces the new state. A batch written twice, or a capture
repeated after a crash, finds nothing new: every change is recorded once.

Watches (:mod:`graph.watches`) turn the changes of a batch into events for the people who asked.
"""
