"""``lineage serve`` and ``lineage worker``: the long-running processes."""

from __future__ import annotations

import typer

from workers.queues import Queue

__all__ = ["serve", "worker"]


def serve(
    host: str = typer.Option(None, help="Address to bind (default LINEAGE_API_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default LINEAGE_API_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="uvicorn worker processes."),
) -> None:
    """Serve the GraphQL API, health, metrics and the dashboard with uvicorn."""
    import uvicorn

    from api.settings import ApiSettings

    settings = ApiSettings()
    uvicorn.run(
        "api.main:app",
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=workers,
        log_level="info",
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
