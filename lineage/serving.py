"""``lineage serve``: uvicorn worker processes on one port that always stop when asked.

``serve(host, port, workers)`` runs ``api.main:app`` in ``workers`` uvicorn processes sharing one
listening socket (uvicorn's own supervisor), each with its own Neo4j driver pool (made by the
app's lifespan in each process).

Stopping: SIGINT or SIGTERM starts uvicorn's graceful shutdown (no new connections; requests in
flight get ``graceful_s`` to finish, then are cancelled). Two things can still hold a process
past that: a request whose work runs in a thread (the interpreter waits for threads at exit), and
an event loop held by code that never yields. So a watchdog runs too: once a stop is asked, the
single server process (``workers=1``) exits at once if still alive ``stop_timeout_s`` later; with
several workers the supervisor kills any worker left at that time and exits. The whole server is
therefore gone within ``stop_timeout_s`` of the signal, whatever a request is doing.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

__all__ = ["DEFAULT_STOP_TIMEOUT_S", "default_workers", "serve"]

DEFAULT_STOP_TIMEOUT_S = 8.0
"""After a stop is asked, the longest any process of the server lives."""

GRACEFUL_S = 4
"""How long requests in flight get to finish after a stop is asked, before they are cancelled."""


def default_workers() -> int:
    """One worker process per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class WatchedServer(uvicorn.Server):
    """A uvicorn server that exits by force ``stop_timeout_s`` after a stop was asked."""

    def __init__(self, config: uvicorn.Config, stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        super().__init__(config)
        self.stop_timeout_s = stop_timeout_s

    def run(self, sockets: Any = None) -> None:
        threading.Thread(target=self._watch, name="lineage-stop-watchdog", daemon=True).start()
        super().run(sockets=sockets)

    def _watch(self) -> None:
        while not self.should_exit:
            time.sleep(0.1)
        deadline = time.monotonic() + self.stop_timeout_s
        while time.monotonic() < deadline:
            time.sleep(0.1)
        os._exit(0)  # still here: a request or a thread held the process past its stop time


def _config(host: str, port: int, workers: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_S,
        timeout_keep_alive=5,
        access_log=False,
    )


def serve(
    *, host: str, port: int, workers: int, log_level: str = "info", stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S
) -> None:
    """Serve until SIGINT or SIGTERM; returns (or the process exits) within ``stop_timeout_s`` of it."""
    config = _config(host, port, workers, log_level)
    server = WatchedServer(config, stop_timeout_s)
    if workers <= 1:
        server.run()
        return
    sock = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[sock])
    _watch_supervisor(supervisor, stop_timeout_s)
    supervisor.run()


def _watch_supervisor(supervisor: Multiprocess, stop_timeout_s: float) -> None:
    """Chain a watchdog onto the supervisor's SIGINT/SIGTERM handlers: kill what is left in time."""
    armed = threading.Event()

    def watchdog() -> None:
        time.sleep(stop_timeout_s)
        for process in supervisor.processes:
            if process.pid is not None:
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        os._exit(0)

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            if not armed.is_set():
                armed.set()
                threading.Thread(target=watchdog, name="lineage-stop-watchdog", daemon=True).start()
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)
