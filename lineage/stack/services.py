"""The local Neo4j and Redis servers: start (idempotently), stop (cleanly), report."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from lineage.stack.errors import DataDirLocked, PortInUse, StartFailed
from lineage.stack.jars import ensure_launcher, ensure_neo4j_jars, require_tool
from lineage.stack.process import ManagedProcess, port_is_free
from lineage.stack.settings import StackSettings

__all__ = ["Neo4jServer", "RedisServer", "ServiceStatus"]

_JAVA_OPENS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
)


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    url: str
    data_dir: Path
    started: bool = False  # True when this call started it, False when it was already running


class _LocalServer:
    """What both local servers share: a tracked process, a URL, a status and a port to claim."""

    name: str
    data_dir: Path
    process: ManagedProcess

    @property
    def url(self) -> str:
        raise NotImplementedError

    def status(self) -> ServiceStatus:
        pid = self.process.pid()
        return ServiceStatus(self.name, pid is not None, pid, self.url, self.data_dir)


def _require_free_port(port: int, variable: str) -> None:
    if not port_is_free(port):
        raise PortInUse(f"port {port} is already in use; stop what holds it or choose another with {variable}")


class Neo4jServer(_LocalServer):
    """Neo4j Community started from Maven jars by the bundled Java launcher."""

    name = "neo4j"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.data_dir = settings.neo4j_dir / "data"
        self.process = ManagedProcess(
            "neo4j", settings.neo4j_dir / "neo4j.pid", settings.neo4j_dir / "neo4j.log"
        )

    @property
    def url(self) -> str:
        return f"bolt://127.0.0.1:{self.settings.neo4j_port}"

    def start(self) -> ServiceStatus:
        """Start Neo4j and wait until Bolt answers; a running instance is reported, not restarted."""
        current = self.status()
        if current.running:
            return current
        _require_free_port(self.settings.neo4j_port, "LINEAGE_NEO4J_PORT")
        java = require_tool(self.settings.java_bin, "Java 17+", "openjdk-17-jdk-headless")
        _require_java_17(java)
        lib = ensure_neo4j_jars(self.settings)
        classes = ensure_launcher(self.settings, lib)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_offset = self.process.log_file.stat().st_size if self.process.log_file.exists() else 0
        heap = f"{self.settings.neo4j_heap_mb}m"
        argv = [
            java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", *_JAVA_OPENS,
            "-cp", f"{classes}{os.pathsep}{lib}/*", "Neo4jLauncher", str(self.data_dir.resolve()),
        ]
        env = dict(os.environ)
        env["NEO4J_BOLT_PORT"] = str(self.settings.neo4j_port)
        env["NEO4J_PAGECACHE_MB"] = str(self.settings.neo4j_pagecache_mb)
        env["NEO4J_TRANSACTION_TIMEOUT_S"] = str(self.settings.neo4j_transaction_timeout_s)
        env["NEO4J_LOCK_TIMEOUT_S"] = str(self.settings.neo4j_lock_timeout_s)
        pid = self.process.spawn(argv, env=env)
        self._wait_ready(pid, log_offset)
        return ServiceStatus(self.name, True, pid, self.url, self.data_dir, started=True)

    def stop(self, timeout_s: float = 90.0) -> bool:
        """Shut Neo4j down cleanly (committed data is flushed by its shutdown hook); killed past
        ``timeout_s`` (committed transactions are still recovered from the log at the next start)."""
        return self.process.stop(timeout_s=timeout_s)

    def _wait_ready(self, pid: int, log_offset: int) -> None:
        deadline = time.monotonic() + self.settings.neo4j_start_timeout_s
        while time.monotonic() < deadline:
            output = self._log_since(log_offset)
            if "NEO4J_READY" in output:
                return
            error = re.search(r"NEO4J_ERROR (.*)", output)
            if error:
                self.process.pid_file.unlink(missing_ok=True)
                message = error.group(1).strip()
                if "locked" in message:
                    raise DataDirLocked(message)
                if "already in use" in message:
                    raise PortInUse(message)
                raise StartFailed(f"Neo4j did not start: {message}")
            if self.process.pid() is None:
                raise StartFailed(
                    f"Neo4j exited during start-up; see {self.process.log_file}: "
                    + _last_meaningful_line(output)
                )
            time.sleep(0.2)
        self.process.stop(timeout_s=10)
        raise StartFailed(
            f"Neo4j did not answer on {self.url} within {self.settings.neo4j_start_timeout_s:.0f}s; "
            f"see {self.process.log_file}"
        )

    def _log_since(self, offset: int) -> str:
        try:
            with self.process.log_file.open("rb") as log:
                log.seek(offset)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""


class RedisServer(_LocalServer):
    """Debian's redis-server on loopback, with append-only persistence in the state folder."""

    name = "redis"

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.data_dir = settings.redis_dir
        self.process = ManagedProcess("redis", settings.redis_dir / "redis.pid", settings.redis_dir / "redis.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.settings.redis_port}/0"

    def start(self) -> ServiceStatus:
        current = self.status()
        if current.running:
            return current
        _require_free_port(self.settings.redis_port, "LINEAGE_REDIS_PORT")
        binary = require_tool(self.settings.redis_bin, "redis-server", "redis-server")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            binary, "--bind", "127.0.0.1", "--port", str(self.settings.redis_port),
            "--dir", str(self.data_dir.resolve()), "--daemonize", "no",
            "--appendonly", "yes", "--save", "", "--protected-mode", "yes",
        ]
        pid = self.process.spawn(argv, env=dict(os.environ))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.pid() is None:
                raise StartFailed(f"redis-server exited: {_last_meaningful_line(self.process.log_tail())}")
            if not port_is_free(self.settings.redis_port) and _redis_pings(self.settings.redis_port):
                return ServiceStatus(self.name, True, pid, self.url, self.data_dir, started=True)
            time.sleep(0.05)
        raise StartFailed(f"redis-server did not answer on port {self.settings.redis_port}")

    def stop(self, timeout_s: float = 30.0) -> bool:
        return self.process.stop(timeout_s=timeout_s)


def _redis_pings(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _require_java_17(java: str) -> None:
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r'version "(\d+)', result.stderr + result.stdout)
    if match is None or int(match.group(1)) < 17:
        found = match.group(1) if match else "unknown"
        raise StartFailed(
            f"Neo4j 5.26 needs Java 17 or newer (found {found}); "
            "install it with: apt-get install -y openjdk-17-jdk-headless"
        )


def _last_meaningful_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip() and not line.lstrip().startswith("at ")]
    return lines[-1] if lines else "(no output)"
