"""``lineage demo``: the main job on the bundled real snapshot."""

from __future__ import annotations

from typing import Annotated

import typer

from lineage.console import fail

__all__ = ["demo"]


def demo(
    api_port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the API and dashboard.")] = 8000,
    hub_port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the replay hub.")] = 8765,
    down: Annotated[int, typer.Option(min=0, max=10, help="Levels of children listed below each bundled model.")] = 1,
    scale: Annotated[
        bool,
        typer.Option(help="Sweep the bundled real Hub topology of March–July 2025 (445k models) instead."),
    ] = False,
) -> None:
    """Run the whole system on the bundled real snapshot, then serve the API and dashboard.

    Starts Neo4j, Redis, a Celery worker and the replay hub (each only if needed), crawls the
    bundled families, computes propagation, prints the URLs and example queries. Ctrl-C stops
    everything it started.
    """
    from lineage.demo import DemoError, DemoOptions, run_demo
    from lineage.stack import StackError

    try:
        run_demo(DemoOptions(api_port=api_port, hub_port=hub_port, down=down, scale=scale))
    except (DemoError, StackError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
