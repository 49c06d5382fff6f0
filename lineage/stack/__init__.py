"""The local development stack: Neo4j Community from Maven jars and Debian's redis-server."""

from lineage.stack.errors import StackError
from lineage.stack.services import Neo4jServer, RedisServer, ServiceStatus
from lineage.stack.settings import StackSettings

__all__ = ["Neo4jServer", "RedisServer", "ServiceStatus", "StackError", "StackSettings"]
