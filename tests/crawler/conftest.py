"""Fixtures of the crawler and replay-hub tests.

* ``bundled`` — the bundled real snapshot, loaded once per module;
* ``hub`` — the replay hub serving it on a free port, one per module (a module that needs other
  options, such as gated tokens or another snapshot, defines its own ``hub``).

Recorded Hub bodies and the in-memory stand-in for ``HfApi`` are in :mod:`tests.support.hubfakes`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubreplay.serve import ReplayServer, serve_in_thread
from hubreplay.snapshot import Snapshot, bundled_snapshot_path


@pytest.fixture(scope="module")
def bundled() -> Snapshot:
    return Snapshot.load(bundled_snapshot_path())


@pytest.fixture(scope="module")
def hub(bundled: Snapshot) -> Iterator[ReplayServer]:
    with serve_in_thread(bundled) as server:
        yield server
