"""Every Cypher statement of the graph package, as named constants.

Values are always parameters (``$rows``, ``$run``, ``$id`` …). Labels, relationship types
and depths are put into statement text only from the closed enums of :mod:`graph.records`
and :mod:`graph.reads.types` or from validated integers, at import time or through the
small builders documented next to each statement.
"""

__all__: list[str] = []
