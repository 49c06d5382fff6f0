"""Celery tasks, one module per concern; every task takes ids and is idempotent."""
