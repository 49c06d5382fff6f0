"""Lineage: workers package."""
