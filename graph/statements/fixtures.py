"""Constructed fixture models (ids under ``$fixture_prefixes``, see :class:`graph.settings.GraphSettings`)
are left out of every statistic by this one condition; an empty ``$fixture_prefixes`` leaves nothing out.

It reads the member's id in the statement that already walks the member (no round trip of its own);
the prefixes are always a parameter.
"""

from __future__ import annotations

__all__ = ["not_fixture"]


def not_fixture(var: str) -> str:
    """Cypher: the model bound to ``var`` is no constructed fixture (its id starts with none of ``$fixture_prefixes``)."""
    if not var.isidentifier():
        raise ValueError(f"not a Cypher variable: {var!r}")
    return f"NOT any(fixture_prefix IN $fixture_prefixes WHERE {var}.id STARTS WITH fixture_prefix)"
