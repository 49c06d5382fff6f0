"""``lineage serve``: uvicorn worker processes on one port that always stop when asked.

``serve(host, port, workers)`` runs ``api.main:app`` in ``workers`` uvicorn processes on one port,
each with its own listening socket (``SO_REUSEPORT``: the kernel spreads connections over them) and
its own Neo4j driver pool (made by the app's lifespan in each process); a small supervisor restarts
a worker that dies.

Stopping: SIGINT or SIGTERM starts uvicorn's graceful shutdown (no new connections; requests in
flight get ``graceful_s`` to finish, then are cancelled). Two things can still hold a process
past that: a request whose work runs in a thread (the interpreter waits for threads at exit), and
an event loop held by code that never yields. So a watchdog runs too: once a stop is asked, the
server process exits at once if still alive ``stop_timeout_s`` later, and the supervisor kills any
worker left at that time. The whole server is
therefore gone within ``stop_timeout_s`` of the signal, whatever a request is doing.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from typing import Any

import uvicorn
from uvicorn._subprocess import get_subprocess

__all__ = ["DEFAULT_STOP_TIMEOUT_S", "Supervisor", "default_workers", "serve"]

log = logging.getLogger("lineage.serve")

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
    if workers <= 1:
        WatchedServer(config, stop_timeout_s).run()
        return
    Supervisor(config, workers, stop_timeout_s).run()


def _listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket of its own for one worker; with SO_REUSEPORT the kernel spreads new
    connections over the workers' sockets, instead of letting whichever worker wakes first accept a
    whole burst of them from one shared socket (which left one core idle under keep-alive load)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Supervisor:
    """Worker processes, each with its own SO_REUSEPORT socket on the port; restarts a worker that dies;
    on SIGINT/SIGTERM stops them all, killing any still alive ``stop_timeout_s`` later."""

    def __init__(self, config: uvicorn.Config, workers: int, stop_timeout_s: float) -> None:
        self.config = config
        self.stop_timeout_s = stop_timeout_s
        self.sockets = [_listening_socket(config.host, config.port) for _ in range(workers)]
        self.processes: list[Any] = [None] * workers
        self.stopping = threading.Event()

    def _start(self, index: int) -> None:
        server = WatchedServer(self.config, self.stop_timeout_s)
        process = get_subprocess(self.config, target=server.run, sockets=[self.sockets[index]])
        process.start()
        self.processes[index] = process

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: self.stopping.set())
        for index in range(len(self.sockets)):
            self._start(index)
        while not self.stopping.wait(0.5):
            for index, process in enumerate(self.processes):
                if not process.is_alive() and not self.stopping.is_set():
                    log.warning("worker %s exited with %s; starting another", process.pid, process.exitcode)
                    self._start(index)
        for process in self.processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout_s
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()
        for sock in self.sockets:
            sock.close()
