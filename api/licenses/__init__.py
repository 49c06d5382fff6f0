"""The licence knowledge base over GraphQL: ``licenses``, ``license(id)``, ``terms``."""
