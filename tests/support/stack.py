"""The local stack as the tests see it: free loopback ports, emptying the graph, and ``lineage serve``
run as a real process (start it, find its workers, stop it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["WIPE", "alive", "children", "free_port", "lineage_serve", "stop", "wait_listening"]

WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
"""Cypher that empties the graph (constraints and indexes kept)."""


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(p) for p in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
    """Until ``/healthz`` on ``port`` answers 200 (fails if the process exits or time runs out)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "lineage serve exited before it listened"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                if b"200 OK" in sock.recv(4096):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"lineage serve did not answer on port {port}")


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    """SIGTERM, then SIGKILL past ``timeout_s``; nothing when it has exited already."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def lineage_serve(
    port: int, workers: int, env: Mapping[str, str], state_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``lineage serve`` on ``port`` with ``env`` added, answering ``/healthz``; stopped at the end."""
    argv = [sys.executable, "-m", "lineage.cli", "serve", "--port", str(port), "--workers", str(workers),
            "--log-level", "critical"]
    full_env = {**os.environ, **env, "LINEAGE_STATE_DIR": str(state_dir)}
    proc = subprocess.Popen(argv, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        yield proc
    finally:
        stop(proc)
