"""Lineage: api package."""
