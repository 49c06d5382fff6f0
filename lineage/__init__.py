"""Lineage: lineage package."""
