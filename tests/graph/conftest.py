"""Fixtures of the graph tests.

* ``families`` — a few real families of the bundled snapshot alone in the graph for the module's
  tests (:func:`tests.support.families.written_families`).

The observation builders and graph read-backs the tests use are in :mod:`tests.support.observations`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from neo4j import Driver

from tests.support.families import Families, written_families


@pytest.fixture(scope="module")
def families(neo4j_driver: Driver) -> Iterator[Families]:
    with written_families(neo4j_driver) as found:
        yield found
