"""The Neo4j driver, created from settings; the only place that builds one."""

from __future__ import annotations

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase, NotificationMinimumSeverity

from graph.settings import Neo4jSettings

__all__ = ["async_driver", "sync_driver"]


def _auth(settings: Neo4jSettings) -> tuple[str, str] | None:
    if settings.password is None:
        return None
    return (settings.user, settings.password.get_secret_value())


def sync_driver(settings: Neo4jSettings | None = None) -> Driver:
    """The driver of workers and commands; server notifications (hints about relationship types a
    new graph does not have yet) are not wanted in their logs either."""
    settings = settings or Neo4jSettings()
    return GraphDatabase.driver(
        settings.uri,
        auth=_auth(settings),
        max_connection_pool_size=settings.max_connection_pool_size,
        notifications_min_severity=NotificationMinimumSeverity.OFF,
    )


def async_driver(settings: Neo4jSettings | None = None) -> AsyncDriver:
    """The driver of long-running servers (the API): server notifications (hints about unknown
    property keys before materialisation, plans) are not wanted in their logs."""
    settings = settings or Neo4jSettings()
    return AsyncGraphDatabase.driver(
        settings.uri,
        auth=_auth(settings),
        max_connection_pool_size=settings.max_connection_pool_size,
        notifications_min_severity=NotificationMinimumSeverity.OFF,
    )
