"""Lineage: crawler package."""
