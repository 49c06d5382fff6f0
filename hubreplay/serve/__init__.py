"""The offline replay hub: a recorded snapshot served in the Hugging Face Hub's API shapes.

Start one in tests or the demo::

    from hubreplay.serve import serve_in_thread
    with serve_in_thread() as hub:                 # bundled snapshot, free port
        api = HfApi(endpoint=hub.url)
        ...
        hub.stats.snapshot()["total"]              # Hub requests made so far
        httpx.post(f"{hub.url}/_replay/changes",   # edit what it serves (hubreplay.serve.edits)
                   json={"edits": [{"op": "gate", "id": "lineage-fixtures/…", "gated": "manual"}]})
"""

from hubreplay.serve.app import ReplayHub, create_app
from hubreplay.serve.errors import EditRefusedError, ReplayConfigError, ReplayError, ReplayStartError
from hubreplay.serve.server import ReplayServer, load_snapshot, run_server, serve_in_thread, serve_scale_in_thread
from hubreplay.serve.settings import FaultConfig, ReplaySettings

__all__ = [
    "EditRefusedError",
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
    "serve_scale_in_thread",
]
