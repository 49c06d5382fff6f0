"""Benchmarks against a real Neo4j (see bench/RESULTS.md). Run from the repository root: ``python -m bench.<name>``."""
