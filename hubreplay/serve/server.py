"""Run the replay hub with uvicorn: blocking (the CLI) or in a background thread (tests, the demo)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn
from pydantic import SecretStr

from hubreplay.scale.hub import ScaleHub, build_scale_hub
from hubreplay.scale.settings import ScaleSettings
from hubreplay.serve.app import ReplayHub, create_app
from hubreplay.serve.scale_app import ScaleReplayHub
from hubreplay.serve.errors import ReplayStartError
from hubreplay.serve.settings import FaultConfig, ReplaySettings
from hubreplay.serve.stats import RequestStats
from hubreplay.snapshot.bundled import bundled_snapshot_path
from hubreplay.snapshot.store import Snapshot

__all__ = ["ReplayServer", "load_snapshot", "run_server", "serve_in_thread", "serve_scale_in_thread"]


def load_snapshot(snapshot: Snapshot | Path | str | None) -> Snapshot:
    """A loaded snapshot from a folder, an already loaded one, or the bundled one (None)."""
    if isinstance(snapshot, Snapshot):
        return snapshot
    return Snapshot.load(Path(snapshot) if snapshot is not None else bundled_snapshot_path())


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ReplayStartError(f"cannot bind {host}:{port}: {exc}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class ReplayServer:
    """A replay hub running in a daemon thread. Use as a context manager, or call :meth:`stop`.

    ``url`` is the endpoint to give ``HfApi(endpoint=...)`` / ``HF_ENDPOINT``; ``hub`` exposes
    the live fault injector (``hub.faults.configure(...)``) and counters (``hub.stats``).
    """

    def __init__(self, hub: ReplayHub, host: str, port: int) -> None:
        self.hub = hub
        self._sock = _bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(create_app(hub), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"replay-hub-{self.port}", daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def stats(self) -> RequestStats:
        return self.hub.stats

    def evidence_origins(self) -> dict[str, dict[str, object]]:
        """What crawlers of this hub cite in evidence (``LINEAGE_CRAWLER_EVIDENCE_ORIGINS``): the public hub the
        snapshot was recorded from, for this server's URL; empty for snapshots without an origin (synthetic)."""
        origin = self.hub.origin()
        return {} if origin is None else {self.url: {"origin": origin[0], "excludes": list(origin[1])}}

    def set_faults(self, config: FaultConfig) -> None:
        self.hub.faults.configure(config)

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:
            self._error = exc

    def start(self, timeout_s: float = 10.0) -> ReplayServer:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise ReplayStartError(f"replay hub did not start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise ReplayStartError(f"replay hub did not start within {timeout_s}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> ReplayServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_thread(
    snapshot: Snapshot | Path | str | None = None,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    faults: FaultConfig | None = None,
    max_page_size: int = 1000,
    gated_tokens: list[str] | None = None,
) -> ReplayServer:
    """Start a replay hub in a background thread and return once it accepts connections.

    ``snapshot`` is a folder, a loaded :class:`Snapshot` or None (the bundled one); ``port`` 0
    picks a free port. Stop it with ``.stop()`` or a ``with`` block. Edits posted to ``/_replay/changes``
    change the loaded snapshot in memory: a hub given a folder (or None) has a copy of its own.
    """
    settings = ReplaySettings(
        host=host,
        port=port,
        max_page_size=max_page_size,
        faults=faults or FaultConfig(),
        gated_tokens=[SecretStr(token) for token in gated_tokens or ()],
    )
    hub = ReplayHub(load_snapshot(snapshot), settings)
    return ReplayServer(hub, host, port).start()


def serve_scale_in_thread(
    scale: ScaleSettings | ScaleHub,
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    faults: FaultConfig | None = None,
    max_page_size: int = 1000,
) -> ReplayServer:
    """Start a scale hub (built from ``scale``, or an already built one) in a background thread."""
    built = scale if isinstance(scale, ScaleHub) else build_scale_hub(scale)
    settings = ReplaySettings(
        host=host, port=port, max_page_size=max_page_size, faults=faults or FaultConfig(), scale=built.settings
    )
    return ReplayServer(ScaleReplayHub(built, settings), host, port).start()


def build_hub(settings: ReplaySettings) -> ReplayHub:
    """The hub ``settings`` describe: a scale hub when ``settings.scale`` is set, else a snapshot's."""
    if settings.scale is not None:
        return ScaleReplayHub(build_scale_hub(settings.scale), settings)
    return ReplayHub(load_snapshot(settings.snapshot), settings)


def run_server(settings: ReplaySettings, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``settings.scale`` or ``settings.snapshot`` (or the bundled one) in the foreground until interrupted.

    ``on_ready`` is called with the URL once the port is bound (useful with port 0).
    """
    hub = build_hub(settings)
    sock = _bind(settings.host, settings.port)
    if on_ready is not None:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        on_ready(f"http://{host}:{sock.getsockname()[1]}")
    config = uvicorn.Config(create_app(hub), log_level="info", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
