"""``lineage serve`` stops within seconds of SIGINT or SIGTERM, even while requests are stuck."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from lineage.stopping import Stops
from tests.support.stack import alive, children, free_port, lineage_serve, wait_listening

STOP_BOUND_S = 10.0


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
    with lineage_serve(port, workers, stack_env, tmp_path) as proc:
        if workers > 1:
            deadline = time.monotonic() + 30
            while len(children(proc.pid)) < workers and time.monotonic() < deadline:
                time.sleep(0.1)
        family = [proc.pid, *children(proc.pid)]
        assert len(family) >= (workers + 1 if workers > 1 else 1)
        stuck = _stuck_requests(port, 6)
        time.sleep(0.5)
        began = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=STOP_BOUND_S + 5)
        while [pid for pid in family if alive(pid)] and time.monotonic() - began < STOP_BOUND_S + 5:
            time.sleep(0.05)  # multiprocessing's resource tracker exits just after its parent
        took = time.monotonic() - began
        assert not [pid for pid in family if alive(pid)], "a worker process outlived the server"
        assert took <= STOP_BOUND_S, f"lineage serve and its workers took {took:.1f}s to stop"
        for sock in stuck:
            sock.close()


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
    with lineage_serve(port, 2, stack_env, tmp_path) as proc:
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
            wait_listening(port, proc, seconds=30)


def _workers(pid: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    return [c for c in children(pid) if "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()
            and alive(c)]
