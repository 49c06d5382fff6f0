"""``lineage demo``: the whole system on the bundled real snapshot, on this machine.

Starts (only what is not already running) Neo4j and Redis, a Celery worker, and the replay
hub serving the bundled snapshot; crawls every bundled family through the workers; computes
licence propagation; then serves the API and dashboard until Ctrl-C, which stops everything
the demo started (and nothing it found running).

``lineage demo --scale``: the replay hub serves the bundled real topology instead (435,785 models
first seen on the Hub in March–July 2025 and the 9,157 older bases they name: ids and declared
lineage only — their licences are unknown and stay so), and the graph is filled the way the
whole Hub is: one full sweep of the listing, a request per 1,000 models.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from dataclasses import dataclass
from pathlib import Path

from lineage.console import console
from lineage.stopping import Stops
from lineage.stack import Neo4jServer, RedisServer, StackSettings
from lineage.stack.process import port_is_free

__all__ = ["DemoOptions", "EXAMPLE_QUERIES", "run_demo"]

EXAMPLE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "What is zephyr-7b-beta built on, and what may we do with it?",
        '{ model(id: "HuggingFaceH4/zephyr-7b-beta") { declaredLicenseId '
        "ancestors { models { depth model { id declaredLicenseId } } } "
        "commercialStatus { status licenseId reason } conflicts { ruleId severity message path } } }",
    ),
    (
        "How far do Llama 3.1's terms reach, and where are they dropped?",
        '{ propagation(root: "meta-llama/Llama-3.1-8B") { totalModels byDepth { depth count } '
        "conflictsByRule { ruleId severity conflicts models } "
        "topRelicensingPoints { child { id } fromLicense toLicense droppedTerms downstreamCount } } }",
    ),
    (
        "Which Llama models carry a licence conflict, and how bad is it?",
        '{ models(hasConflict: true, search: "llama", first: 10) { totalCount edges { id declaredLicenseId conflictState } } }',
    ),
    (
        "Which models joined the Llama 3.1 family, declaring what? (createWatch hears of the next one)",
        '{ changes(scope: {root: "meta-llama/Llama-3.1-8B"}, kinds: [MODEL_ADDED], first: 50) '
        "{ edges { node { recordedAt kind modelId details } } } }",
    ),
)

SCALE_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "How far did FLUX.1-dev's family grow in March–July 2025, and how is each member known?",
        '{ propagation(root: "black-forest-labs/FLUX.1-dev") { totalModels byDepth { depth count } } '
        'model(id: "black-forest-labs/FLUX.1-dev") { knownFrom listedAt declaredLicenseId } }',
    ),
    (
        "Which Qwen2.5 derivatives were published, and what licence do they declare?",
        '{ models(search: "qwen2.5", first: 10) { totalCount edges { id knownFrom declaredLicenseId } } }',
    ),
    (
        "What is this quantization built on?",
        '{ model(id: "mistralai/Mistral-Small-3.1-24B-Instruct-2503") { ancestors { models { depth model { id } } } } }',
    ),
)

STOP_TIMEOUT_S = 9.5
"""After Ctrl-C or SIGTERM, everything the demo started is stopped (together) within this time."""

SERVICE_STOP_S = 8.0
"""Each process the demo started gets this long to stop cleanly before it is killed."""


@dataclass(frozen=True)
class DemoOptions:
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    hub_port: int = 8765
    down: int = 1
    worker_concurrency: int = 4
    scale: bool = False  # the bundled real topology through a sweep, instead of the bundled snapshot's crawl


def run_demo(options: DemoOptions, settings: StackSettings | None = None) -> None:
    """Run the demo in the foreground; returns after Ctrl-C with everything it started stopped."""
    settings = settings or StackSettings()
    signal.signal(signal.SIGTERM, _interrupt)  # a plain kill stops the demo as Ctrl-C does
    for port, what in ((options.api_port, "API"), (options.hub_port, "replay hub")):
        if not port_is_free(port, options.api_host if what == "API" else "127.0.0.1"):
            raise DemoError(f"port {port} for the {what} is already in use; choose another (--{_flag(what)})")
    with Stops(timeout_s=STOP_TIMEOUT_S, report=console.print) as started:  # Ctrl-C: all stopped together
        neo4j_url, redis_url = _start_services(settings, started)
        hub = _start_replay_hub(options, started)
        env = {
            "NEO4J_URI": neo4j_url,
            "REDIS_URL": redis_url,
            "HF_ENDPOINT": hub.url,
            # the replay hub is local: the shared limit that protects the real Hub is not needed
            "LINEAGE_HUB_RATE_LIMITS": json.dumps({hub.url: {"rate": 5000, "burst": 1000}}),
            # propagation is computed once, for every model, after the graph is filled (below)
            "LINEAGE_CRAWL_PROPAGATE": "0",
            "LINEAGE_SWEEP_EVERY_S": "0",
            # evidence cites the public hub the snapshot was recorded from, not the local replay of it
            "LINEAGE_CRAWLER_EVIDENCE_ORIGINS": json.dumps(hub.evidence_origins()),
        }
        os.environ.update(env)
        _bootstrap_graph()
        _start_worker(settings, options, env, started)
        if options.scale:
            _sweep_topology(hub)
        else:
            _crawl_bundled_families(hub, options)
        _compute_propagation()
        _serve(options, env, started)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class DemoError(RuntimeError):
    """The demo cannot start; the message says why and what to do."""


def _flag(what: str) -> str:
    return "api-port" if what == "API" else "hub-port"


def _start_services(settings: StackSettings, started: Stops) -> tuple[str, str]:
    urls = []
    for server in (Neo4jServer(settings), RedisServer(settings)):
        with console.status(f"starting {server.name} …"):
            status = server.start()
        if status.started:
            started.add(server.name, partial(server.stop, timeout_s=SERVICE_STOP_S))
            console.print(f"[green]✓[/] {server.name} started at {status.url}")
        else:
            console.print(f"[green]✓[/] {server.name} already running at {status.url} (left running)")
        urls.append(status.url)
    return urls[0], urls[1]


def _start_replay_hub(options: DemoOptions, started: Stops):  # type: ignore[no-untyped-def]
    from hubreplay.scale.settings import ScaleSettings
    from hubreplay.serve import serve_in_thread
    from hubreplay.serve.server import serve_scale_in_thread

    if options.scale:
        with console.status("loading the bundled real topology …"):
            serving = serve_scale_in_thread(ScaleSettings(kind="topology"), port=options.hub_port)
        what = "the bundled real topology (March–July 2025; ids and declared lineage, licences unknown)"
    else:
        serving = serve_in_thread(port=options.hub_port)
        what = "the bundled snapshot"
    hub = serving.__enter__()
    started.add("the replay hub", lambda: serving.__exit__(None, None, None))
    console.print(f"[green]✓[/] replay hub serving {what} at {hub.url}")
    return hub


def _bootstrap_graph() -> None:
    """``lineage migrate``: the schema is made here, before the worker and the API start (they only check it)."""
    from graph.errors import GraphError
    from lineage.commands.migrate import apply_migrations

    try:
        report = apply_migrations()
    except GraphError as exc:
        raise DemoError(f"the graph schema could not be migrated: {exc}") from exc
    console.print(
        f"[green]✓[/] graph schema ready ({len(report.created)} created, {len(report.existing)} existed)"
    )


def _start_worker(settings: StackSettings, options: DemoOptions, env: dict[str, str], started: Stops) -> None:
    log = Path(settings.state_dir) / "demo-worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable, "-m", "lineage.cli", "worker", "--pool", "threads",
        "--concurrency", str(options.worker_concurrency), "--loglevel", "WARNING",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})

    started.add("the worker", partial(_terminate, proc, SERVICE_STOP_S))
    from workers.app import app

    app.conf.update(broker_url=env["REDIS_URL"], result_backend=env["REDIS_URL"])
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise DemoError(f"the Celery worker did not start; see {log}")
    console.print(f"[green]✓[/] Celery worker running (log: {log})")


def _crawl_bundled_families(hub, options: DemoOptions) -> None:  # type: ignore[no-untyped-def]
    from hubreplay.snapshot.bundled import bundled_snapshot_path
    from hubreplay.snapshot.store import Snapshot
    from lineage.commands.crawl import follow_job, render_report
    from workers.client import CrawlClient

    snapshot = Snapshot.load(bundled_snapshot_path())
    seeds = [entry.id for entry in snapshot.iter_models()]
    client = CrawlClient()
    job_id = client.request_crawl(seeds, up=True, down=options.down, deployers=True, endpoint=hub.url)
    console.print(f"crawling {len(seeds)} bundled models and their families (job {job_id}) …")
    follow_job(client, job_id)
    report = client.job(job_id)
    if report is not None:
        console.print(render_report(report))


def _sweep_topology(hub) -> None:  # type: ignore[no-untyped-def]
    from lineage.commands.crawl import follow_job, render_report
    from workers.client import CrawlClient

    client = CrawlClient()
    job_id = client.request_sweep(full=True, endpoint=hub.url)
    assert job_id is not None
    console.print(f"sweeping the replay hub's model listing, 1,000 models a request (job {job_id}) …")
    follow_job(client, job_id)
    report = client.job(job_id)
    if report is not None:
        console.print(render_report(report))


def _compute_propagation() -> None:
    """Every model's propagation result, computed by the worker started above (a Celery group of pages)."""
    from graph.db import sync_driver
    from workers.errors import RecomputeIncomplete
    from workers.propagation_fanout import recompute_all_models

    with sync_driver() as driver, console.status("loading the licence knowledge base and computing propagation …"):
        try:
            report = recompute_all_models(driver)
        except RecomputeIncomplete as exc:
            raise DemoError(f"propagation was not computed: {exc}") from exc
    console.print(
        f"[green]✓[/] propagation computed for {report.computed:,} models "
        f"({report.cleared:,} known only by name) in {report.seconds:.1f}s"
    )


def _serve(options: DemoOptions, env: dict[str, str], started: Stops) -> None:
    """``lineage serve`` in a child process (so no request can hold the demo), until Ctrl-C or SIGTERM."""
    from lineage.serving import default_workers

    base = f"http://{options.api_host}:{options.api_port}"
    argv = [
        sys.executable, "-m", "lineage.cli", "serve", "--host", options.api_host, "--port", str(options.api_port),
        "--workers", str(default_workers()), "--log-level", "warning",
    ]
    proc = subprocess.Popen(argv, env={**os.environ, **env})
    started.add("the API", partial(_terminate, proc, SERVICE_STOP_S))
    deadline = time.monotonic() + 60
    while not _answers(f"{base}/healthz"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise DemoError(f"the API did not start on {base}; see the lines above")
        time.sleep(0.2)
    console.rule("[bold]Lineage is running")
    console.print(f"dashboard   {base}/")
    console.print(f"GraphQL     {base}/graphql   (GraphiQL in a browser)")
    example = "mistralai/Mistral-Small-3.1-24B-Instruct-2503" if options.scale else "HuggingFaceH4/zephyr-7b-beta"
    console.print(f"dossier     {base}/investigations/{example}?format=html")
    console.print(f"AIBOM       {base}/aibom/{example}")
    console.print(f"health      {base}/healthz  {base}/readyz  {base}/metrics")
    console.print("\nThree questions to ask (paste into GraphiQL):")
    if options.scale:
        console.print("[dim]The topology carries ids and declared lineage only: every licence shows as unknown.[/]")
    for question, query in SCALE_QUERIES if options.scale else EXAMPLE_QUERIES:
        console.print(f"\n[bold]{question}[/]\n{query}", soft_wrap=True, highlight=False)
    console.print("\n[dim]Ctrl-C stops everything the demo started.[/]")
    proc.wait()
    raise DemoError(f"the API stopped (exit code {proc.returncode}); see the lines above")


def _answers(url: str) -> bool:
    from urllib.error import URLError
    from urllib.request import urlopen

    try:
        with urlopen(url, timeout=1.0) as response:  # noqa: S310 - our own loopback URL
            return response.status == 200
    except (URLError, OSError):
        return False


def _terminate(proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    """SIGTERM, then SIGKILL past ``timeout_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
