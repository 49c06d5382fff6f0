"""``lineage serve`` and ``lineage worker``: the long-running processes."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from workers.queues import Queue

__all__ = ["serve", "worker"]


def serve(
    host: str = typer.Option(None, help="Address to bind (default LINEAGE_API_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default LINEAGE_API_PORT or 8000)."),
    workers: int = typer.Option(0, min=0, help="uvicorn worker processes sharing the port (0: one per core)."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the GraphQL API, health, metrics and the dashboard; SIGINT/SIGTERM stop it within seconds."""
    from api.settings import ApiSettings
    from lineage.serving import default_workers
    from lineage.serving import serve as run_server

    try:
        settings = ApiSettings()  # refuses bad settings (short API keys …) before any process starts
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"error: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None
    run_server(
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers or default_workers(),
        log_level=log_level,
    )


def worker(
    queues: list[Queue] = typer.Option(list(Queue), "--queue", "-Q", help="Queues to consume (default: all)."),
    concurrency: int = typer.Option(2, min=1, help="Worker processes or threads."),
    pool: str = typer.Option("prefork", help="Celery pool: prefork, threads or solo."),
    beat: bool = typer.Option(False, help="Also run the scheduler (for a single-host deployment)."),
    loglevel: str = typer.Option("INFO", help="Log level."),
) -> None:
    """Start a Celery worker on the configured Redis."""
    from workers.app import app as celery_app

    argv = [
        "worker",
        f"--queues={','.join(q.value for q in queues)}",
        f"--concurrency={concurrency}",
        f"--pool={pool}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        argv.append("--beat")
    celery_app.worker_main(argv)
