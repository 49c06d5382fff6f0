"""Lineage over GraphQL: models, their facts, parents, children, ancestors, descendants, paths."""
