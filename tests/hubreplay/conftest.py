"""Scale replay hubs for the tests of this folder: a small synthetic one and the bundled real topology."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubreplay.scale.settings import ScaleSettings
from hubreplay.serve import ReplayServer, serve_scale_in_thread

SMALL = 20_000


@pytest.fixture(scope="module")
def synthetic_hub() -> Iterator[ReplayServer]:
    """A synthetic scale hub that no test changes (read-only tests share it)."""
    with serve_scale_in_thread(ScaleSettings(models=SMALL, seed=7)) as server:
        yield server


@pytest.fixture
def changing_hub() -> Iterator[ReplayServer]:
    """A fresh synthetic scale hub for a test that applies changes or faults."""
    with serve_scale_in_thread(ScaleSettings(models=SMALL, seed=7)) as server:
        yield server


@pytest.fixture(scope="module")
def topology_hub() -> Iterator[ReplayServer]:
    with serve_scale_in_thread(ScaleSettings(kind="topology")) as server:
        yield server
