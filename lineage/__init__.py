"""Lineage: the command line and the local development stack."""
