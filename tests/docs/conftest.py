"""Fixtures of the documentation tests: the API tests' graph (the bundled snapshot) and settings."""

from tests.api.conftest import anyio_backend, graph, settings

__all__ = ["anyio_backend", "graph", "settings"]
