"""``lineage serve`` stops within seconds of SIGINT or SIGTERM, even while requests are stuck."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lineage.stopping import Stops
from tests.conftest import free_port

STOP_BOUND_S = 10.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_listening(port: int, proc: subprocess.Popen[bytes], seconds: float = 90) -> None:
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


def _stuck_requests(port: int, count: int) -> list[socket.socket]:
    """Requests that announce a body and never send it: the server waits on each."""
    stuck = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b'Content-Length: 4096\r\n\r\n{"query": "{ licenses'
        )
        stuck.append(sock)
    return stuck


@pytest.mark.slow
@pytest.mark.parametrize(("workers", "signum"), [(2, signal.SIGTERM), (2, signal.SIGINT), (1, signal.SIGTERM)])
def test_serve_stops_within_ten_seconds_with_stuck_requests(
    workers: int, signum: int, stack_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, **stack_env, "LINEAGE_STATE_DIR": str(tmp_path)}
    argv = [sys.executable, "-m", "lineage.cli", "serve", "--port", str(port), "--workers", str(workers),
            "--log-level", "critical"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc)
        if workers > 1:
            deadline = time.monotonic() + 30
            while len(_children(proc.pid)) < workers and time.monotonic() < deadline:
                time.sleep(0.1)
        family = [proc.pid, *_children(proc.pid)]
        assert len(family) >= (workers + 1 if workers > 1 else 1)
        stuck = _stuck_requests(port, 6)
        time.sleep(0.5)
        began = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=STOP_BOUND_S + 5)
        while [pid for pid in family if _alive(pid)] and time.monotonic() - began < STOP_BOUND_S + 5:
            time.sleep(0.05)  # multiprocessing's resource tracker exits just after its parent
        took = time.monotonic() - began
        assert not [pid for pid in family if _alive(pid)], "a worker process outlived the server"
        assert took <= STOP_BOUND_S, f"lineage serve and its workers took {took:.1f}s to stop"
        for sock in stuck:
            sock.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stops_run_together_and_are_bounded() -> None:
    lines: list[str] = []
    finished: list[str] = []

    def slow(name: str, seconds: float) -> None:
        time.sleep(seconds)
        finished.append(name)

    stops = Stops(timeout_s=1.5, report=lines.append)
    stops.add("first", lambda: slow("first", 0.8))
    stops.add("second", lambda: slow("second", 0.8))
    stops.add("stuck", threading.Event().wait)  # never returns
    stops.add("broken", lambda: 1 / 0)
    began = time.monotonic()
    left = stops.stop_all()
    took = time.monotonic() - began
    assert left == ["stuck"]
    assert sorted(finished) == ["first", "second"]
    assert took < 2.5  # together (about the 1.5 s bound), not one after another (over 3 s)
    assert "stuck did not stop within 1.5s" in lines
    assert any(line.startswith("stopping broken failed") for line in lines)


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced_and_the_port_keeps_answering(stack_env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **stack_env, "LINEAGE_STATE_DIR": str(tmp_path)}
    argv = [sys.executable, "-m", "lineage.cli", "serve", "--port", str(port), "--workers", "2",
            "--log-level", "critical"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc)
        deadline = time.monotonic() + 30
        while len(_workers(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = _workers(proc.pid)
        assert len(before) == 2
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _workers(proc.pid)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the killed worker was not replaced: {_workers(proc.pid)}")
        for _ in range(10):  # both sockets answer again: every new connection is served
            _wait_listening(port, proc, seconds=30)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _workers(pid: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    return [c for c in _children(pid) if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()
            and _alive(c)]
