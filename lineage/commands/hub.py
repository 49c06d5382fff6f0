"""``lineage hub serve|record|synth``: the offline replay hub and the snapshots it serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr, ValidationError

from hubreplay.scale.settings import ScaleKind, ScaleSettings
from hubreplay.serve import FaultConfig, ReplayError, ReplaySettings, run_server
from hubreplay.snapshot import SnapshotError, bundled_snapshot_path
from hubreplay.snapshot.format import Manifest
from hubreplay.snapshot.record import RecordSettings, record_snapshot
from hubreplay.snapshot.synthetic import SyntheticSpec, generate
from lineage.console import console, fail

__all__ = ["app"]

app = typer.Typer(help="Serve a recorded hub snapshot offline, or record / generate one.", no_args_is_help=True)


@app.command()
def serve(
    snapshot: Annotated[
        Path | None, typer.Argument(help="Snapshot folder (default: the bundled real snapshot).")
    ] = None,
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    max_page_size: Annotated[int, typer.Option(min=1, max=1000, help="Largest page of list endpoints.")] = 1000,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault RNG.")] = 0,
    fault_429: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 429.")] = 0.0,
    retry_after: Annotated[int, typer.Option(min=0, help="Retry-After seconds of an injected 429.")] = 1,
    fault_500: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 500.")] = 0.0,
    fault_502: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 502.")] = 0.0,
    fault_503: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of requests answered 503.")] = 0.0,
    slow_rate: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of requests delayed.")] = 0.0,
    slow_ms: Annotated[int, typer.Option(min=0, help="Delay of a slow request, in ms.")] = 0,
    malformed_cards: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share of models with a broken card.")] = 0.0,
    unparsable: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of answers whose JSON body is cut in half.")
    ] = 0.0,
    truncate_listing: Annotated[
        int | None, typer.Option(min=0, help="End every model listing after this many models (no next link).")
    ] = None,
    scale: Annotated[
        ScaleKind | None,
        typer.Option(
            help="Serve a scale hub instead of a snapshot: 'synthetic' (generated, --models/--seed) or "
            "'topology' (the bundled real March-July 2025 Hub topology)."
        ),
    ] = None,
    models: Annotated[int, typer.Option(min=2, help="Models of the synthetic scale hub.")] = 3_000_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic scale hub.")] = 7,
    grant_token: Annotated[
        list[str] | None, typer.Option(help="Bearer token allowed to download gated files (repeatable).")
    ] = None,
) -> None:
    """Serve SNAPSHOT (or the bundled one, or a --scale hub) in the Hub's API shapes; point HF_ENDPOINT at the
    printed URL.

    --scale synthetic serves --models generated models (3,000,000 by default; about 0.55-0.65 GiB, 25-60 s to start);
    --scale topology serves the bundled real topology. A day of changes (scale hubs): POST /_replay/changes
    {"models": 10000, "seed": 1}; edits to a snapshot (in memory): POST /_replay/changes {"edits": [{"op":
    "relicense", "id": ..., "license": ...}]} (also add, delete, gate; hubreplay/snapshot/FORMAT.md).
    Fault flags override LINEAGE_REPLAY_FAULTS__* variables; faults can also be changed at run time
    with POST /_replay/faults. Request counters: GET /_replay/stats.
    """
    try:
        base = ReplaySettings()
        overrides = {
            "seed": fault_seed, "rate_429": fault_429, "retry_after_s": retry_after, "rate_500": fault_500,
            "rate_502": fault_502, "rate_503": fault_503, "slow_rate": slow_rate, "slow_ms": slow_ms,
            "malformed_card_rate": malformed_cards, "unparsable_rate": unparsable,
            "listing_truncate_after": truncate_listing,
        }  # fmt: skip
        defaults = FaultConfig()
        changed = {k: v for k, v in overrides.items() if v != getattr(defaults, k)}
        faults = FaultConfig.model_validate({**base.faults.model_dump(), **changed})
        settings = base.model_copy(
            update={
                "snapshot": snapshot or base.snapshot,
                "host": host,
                "port": port,
                "max_page_size": max_page_size,
                "faults": faults,
                "gated_tokens": base.gated_tokens + [SecretStr(t) for t in grant_token or ()],
                "scale": ScaleSettings(kind=scale, models=models, seed=seed) if scale else base.scale,
            }
        )
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    where = settings.snapshot or bundled_snapshot_path()
    if settings.scale is not None:
        where = f"the {settings.scale.kind} scale hub"
        if settings.scale.kind == "synthetic":
            where += f" ({settings.scale.models:,} models, seed {settings.scale.seed})"

    def ready(url: str) -> None:
        console.print(f"replay hub serving [bold]{where}[/] at [bold]{url}[/]", soft_wrap=True)
        console.print(f"  export HF_ENDPOINT={url}   # request counters: {url}/_replay/stats", soft_wrap=True)
        origin = None if settings.scale is not None else _origin(Path(where))
        if origin is not None:  # evidence should cite the public hub the snapshot was recorded from
            cited = json.dumps({url: {"origin": origin[0], "excludes": list(origin[1])}})
            console.print(f"  export LINEAGE_CRAWLER_EVIDENCE_ORIGINS='{cited}'", soft_wrap=True)
        if faults.active:
            console.print(f"  faults: {faults.model_dump(exclude_defaults=True)}")

    try:
        run_server(settings, on_ready=ready)
    except (ReplayError, SnapshotError) as exc:
        fail(str(exc))


@app.command()
def record(
    seeds: Annotated[list[str], typer.Argument(help="Model ids to start from.")],
    out: Annotated[Path, typer.Option("--out", help="Snapshot folder to write.")],
    endpoint: Annotated[str | None, typer.Option(help="Hub URL (default: HF_ENDPOINT or huggingface.co).")] = None,
    down: Annotated[int, typer.Option(min=0, max=10, help="Levels of children to record.")] = 0,
    up: Annotated[bool, typer.Option(help="Follow declared base models to the roots.")] = True,
    max_children: Annotated[int | None, typer.Option(min=0, help="Children per model and relation.")] = None,
    max_models: Annotated[int | None, typer.Option(min=1, help="Stop after this many models.")] = None,
    history: Annotated[int, typer.Option(min=0, help="Older revisions recorded per model.")] = 0,
) -> None:
    """Record SEED… (and their bases / children) from a hub into a snapshot folder. HF_TOKEN is used, never shown."""
    try:
        base = RecordSettings()
        update: dict[str, object] = {"down": down, "up": up, "history": history}
        if endpoint:
            update["endpoint"] = endpoint.rstrip("/")
        if max_children is not None:
            update["max_children"] = max_children
        if max_models is not None:
            update["max_models"] = max_models
        settings = base.model_copy(update=update)
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    console.print(f"recording {len(seeds)} seed(s) from {settings.endpoint} into {out}")
    try:
        manifest, report = record_snapshot(seeds, out, settings)
    except SnapshotError as exc:
        fail(str(exc))
    console.print(json.dumps({"counts": dict(manifest.counts), "problems": report.problems[:10]}, indent=1))


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Snapshot folder to write.")],
    models: Annotated[int, typer.Option(min=2, help="Number of models in the family.")] = 10_000,
    seed: Annotated[int, typer.Option(help="RNG seed.")] = 0,
) -> None:
    """Generate a synthetic hub-shaped family (for benchmarks) in the snapshot format."""
    manifest = generate(out, SyntheticSpec(models=models, seed=seed))
    console.print(json.dumps(dict(manifest.counts)))


def _origin(folder: Path) -> tuple[str, tuple[str, ...]] | None:
    """The public hub the served snapshot was recorded from (None when it records none)."""
    try:
        manifest = Manifest.read(folder)
    except SnapshotError:
        return None  # the server itself reports an unreadable snapshot
    return None if manifest.origin is None else (manifest.origin, manifest.origin_excludes)
