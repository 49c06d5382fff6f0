"""Lineage: graph package."""
