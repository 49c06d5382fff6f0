"""``lineage watch add|list|rm|deliveries``: the watches of an API key, from the command line.

Mount with ``app.add_typer(watch.app, name="watch")`` in ``lineage/cli.py``. The same watches the API's
``createWatch``/``watches``/``deleteWatch`` make and show: each belongs to the key that made it (its
SHA-256, :func:`graph.watches.store.owner_of`), and a key sees and deletes only its own. The key is
``--key`` or ``LINEAGE_API_KEY``; when ``LINEAGE_API_KEYS`` is configured it must be one of those.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from graph.history import to_iso
from graph.watches.store import EventRecord, Watch
from lineage.commands.investigate import fail_line
from lineage.commands.scopes import BAD_INPUT, open_graph, parse_kinds, resolve_scope, scope_option
from lineage.console import console

__all__ = ["add", "app", "deliveries", "list_watches", "owner_for", "remove", "watch_json"]

app = typer.Typer(help="Watches: hear when a change reaches a model, a family, a licence or a term.",
                  no_args_is_help=True)

KeyOption = Annotated[str | None, typer.Option(
    "--key", metavar="KEY", envvar="LINEAGE_API_KEY", show_envvar=True, show_default=False,
    help="The API key the watches belong to.")]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]


def owner_for(key: str | None) -> str:
    """The owner of ``key``'s watches; a missing key, or one ``LINEAGE_API_KEYS`` does not hold: exit 2."""
    from pydantic import ValidationError

    from api.auth import valid_key
    from api.settings import ApiSettings
    from graph.watches.store import owner_of

    if key is None or not key.strip():
        fail_line("watches belong to an API key: pass --key KEY or set LINEAGE_API_KEY", code=BAD_INPUT)
    try:
        configured = ApiSettings().api_keys
    except ValidationError as exc:
        fail_line(f"the API settings are invalid: {exc.errors()[0]['msg']}", code=BAD_INPUT)
    if configured and not valid_key(key.strip(), configured):
        fail_line("the API key is not one of LINEAGE_API_KEYS", code=BAD_INPUT)
    return owner_of(key.strip())


@app.command()
def add(
    root: Annotated[str | None, typer.Option(
        "--root", metavar="ID", help="A family: the root and every descendant, also those that appear later.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", metavar="ID", help="A model and everything upstream of it.")] = None,
    license: Annotated[str | None, typer.Option(
        "--license", metavar="ID", help="A licence (id or alias, any case).")] = None,
    term: Annotated[str | None, typer.Option("--term", metavar="ID", help="A term of the knowledge base.")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", metavar="KIND", help="Only these change kinds (repeat, or comma-separate); default: all.")] = None,
    webhook: Annotated[str | None, typer.Option(
        "--webhook", metavar="URL", help="POST each event here, signed (private targets need "
                                         "LINEAGE_WEBHOOK_ALLOWED_TARGETS).")] = None,
    key: KeyOption = None,
) -> None:
    """Make a watch of exactly one of --root, --model, --license or --term; prints its id, and the webhook's
    signing secret once."""
    from pydantic import ValidationError

    from api.settings import ApiSettings
    from graph.watches.settings import WebhookSettings
    from graph.watches.store import WatchLimitReached, create_watch
    from graph.watches.targets import WebhookTargetRefused, check_webhook_url, new_secret

    owner = owner_for(key)
    kinds = parse_kinds(kind)
    named = scope_option(root=root, model=model, license=license, term=term, required=True)
    assert named is not None
    if webhook is not None:
        try:
            policy = WebhookSettings().policy()
        except ValidationError as exc:
            fail_line(f"the webhook settings are invalid: {exc.errors()[0]['msg']}", code=BAD_INPUT)
        try:
            check_webhook_url(webhook, policy)
        except WebhookTargetRefused as exc:
            fail_line(str(exc), code=BAD_INPUT)
    secret = new_secret() if webhook is not None else None
    with open_graph() as (driver, database):
        scope = resolve_scope(driver, database, *named)
        try:
            made = create_watch(driver, database, owner=owner, scope=scope, kinds=kinds, webhook_url=webhook,
                                secret=secret, limit=ApiSettings().max_watches_per_key)
        except WatchLimitReached as exc:
            fail_line(str(exc), code=BAD_INPUT)
    typer.echo(f"watch {made.id}: {scope.kind.value} {scope.id}, {_kinds_text(made)}")
    if secret is not None:
        typer.echo(f"webhook secret (shown once; keep it: deliveries are signed with it): {secret}")


@app.command(name="list")
def list_watches(key: KeyOption = None, as_json: JsonOption = False) -> None:
    """The key's watches: scope, kinds, webhook, whether enabled (or why not), when made."""
    from graph.watches.store import owner_watches

    owner = owner_for(key)
    with open_graph() as (driver, database):
        found = owner_watches(driver, database, owner)
    if as_json:
        typer.echo(json.dumps([watch_json(w) for w in found], indent=2))
        return
    table = Table("id", "scope", "kinds", "webhook", "state", "created", title="watches of this API key")
    for w in found:
        state = "enabled" if w.enabled else f"disabled: {w.disabled_reason or 'no reason given'}"
        table.add_row(w.id, f"{w.scope.kind.value} {w.scope.id}", _kinds_text(w), w.webhook_url or "—", state,
                      _when(w.created_at))
    console.print(table)


@app.command(name="rm")
def remove(watch_id: Annotated[str, typer.Argument(metavar="ID", help="The watch's id (w_…).")],
           key: KeyOption = None) -> None:
    """Delete one of the key's watches and its events."""
    from graph.watches.store import delete_watch

    owner = owner_for(key)
    with open_graph() as (driver, database):
        deleted = delete_watch(driver, database, owner, watch_id)
    if not deleted:
        fail_line(f"{watch_id!r} is not a watch of this API key", code=BAD_INPUT)
    typer.echo(f"deleted watch {watch_id}")


@app.command()
def deliveries(
    watch_id: Annotated[str, typer.Argument(metavar="ID", help="The watch's id (w_…).")],
    key: KeyOption = None,
    first: Annotated[int, typer.Option("--first", metavar="N", min=1, max=1000, help="The N newest events.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The watch's events, newest first: delivery status, attempts and the last reason."""
    from graph.watches.store import owner_watches, watch_events

    owner = owner_for(key)
    with open_graph() as (driver, database):
        if not owner_watches(driver, database, owner, watch_id):
            fail_line(f"{watch_id!r} is not a watch of this API key", code=BAD_INPUT)
        events = watch_events(driver, database, watch_id, first=first)
    if as_json:
        typer.echo(json.dumps([_event_json(e) for e in events], indent=2))
        return
    table = Table("event", "created", "status", "attempts", "last attempt", "changes", "reason",
                  title=f"events of watch {watch_id}")
    for e in events:
        table.add_row(e.id, _when(e.created_at), e.status, str(e.attempts), _when(e.last_attempt_at),
                      str(e.body.get("total", "")), e.reason or "")
    console.print(table)


def watch_json(w: Watch) -> dict[str, Any]:
    """A watch as ``watch list --json`` prints it (the API's field names)."""
    return {
        "id": w.id, "scope": w.scope.to_json(), "kinds": sorted(k.name for k in w.kinds), "webhookUrl": w.webhook_url,
        "enabled": w.enabled, "disabledReason": w.disabled_reason, "disabledAt": to_iso(w.disabled_at),
        "createdAt": to_iso(w.created_at),
    }


def _event_json(e: EventRecord) -> dict[str, Any]:
    return {
        "id": e.id, "createdAt": to_iso(e.created_at), "status": e.status, "attempts": e.attempts, "reason": e.reason,
        "lastAttemptAt": to_iso(e.last_attempt_at), "deliveredAt": to_iso(e.delivered_at),
        "nextAttemptAt": to_iso(e.next_attempt_at),
        "log": [{"at": to_iso(d.at), "outcome": d.outcome, "status": d.status, "reason": d.reason, "seconds": d.seconds}
                for d in e.log],
        "event": e.body,
    }


def _kinds_text(w: Watch) -> str:
    return ", ".join(sorted(k.name for k in w.kinds)) or "every kind"


def _when(at: datetime | None) -> str:
    return "—" if at is None else at.strftime("%Y-%m-%d %H:%M:%S")
