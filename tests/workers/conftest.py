"""Fixtures of the worker tests.

* ``hub`` — the replay hub serving the bundled snapshot on a free port, one per module.

Worker processes, synthetic families and waiting for jobs are in :mod:`tests.support.crawl`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubreplay.serve import ReplayServer, serve_in_thread


@pytest.fixture(scope="module")
def hub() -> Iterator[ReplayServer]:
    with serve_in_thread() as server:
        yield server
