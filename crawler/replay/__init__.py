"""The offline replay hub: a recorded snapshot served in the Hugging Face Hub's API shapes.

Start one in tests or the demo::

    from crawler.replay import serve_in_thread
    with serve_in_thread() as hub:                 # bundled snapshot, free port
        api = HfApi(endpoint=hub.url)
        ...
        hub.stats.snapshot()["total"]              # Hub requests made so far
"""

from crawler.replay.app import ReplayHub, create_app
from crawler.replay.errors import ReplayConfigError, ReplayError, ReplayStartError
from crawler.replay.server import ReplayServer, load_snapshot, run_server, serve_in_thread
from crawler.replay.settings import FaultConfig, ReplaySettings

__all__ = [
    "FaultConfig",
    "ReplayConfigError",
    "ReplayError",
    "ReplayHub",
    "ReplayServer",
    "ReplaySettings",
    "ReplayStartError",
    "create_app",
    "load_snapshot",
    "run_server",
    "serve_in_thread",
]
