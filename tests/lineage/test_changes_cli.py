"""``lineage changes`` and ``lineage watch add|list|rm|deliveries`` against the real Neo4j: a family written
in two batches (its root relicensed in the second), read back by scope and kind; watches per API key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import Result
from neo4j import Driver
from typer.testing import CliRunner

from crawler.observations import AliasSeen, DeclaredLicense
from graph.changes.kinds import Change, ChangeKind
from graph.watches.dispatch import dispatch_batch
from graph.writer import GraphWriter
from lineage.cli import app
from lineage.commands.changes import change_summary
from tests.support.observations import derived, seen, src
from tests.support.stack import free_port

pytestmark = pytest.mark.integration

ROOT, CHILD, OLD_ROOT_ID = "org/root", "org/root-ft", "org/root-before-rename"
KEY, OTHER_KEY = "k" * 40, "o" * 40
LOOPBACK_HOOK = "http://127.0.0.1:9/hook"


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _error_line(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def family(clean_graph: Driver, neo4j_uri: str, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """A root and its fine-tune (batch 1), the root relicensed (batch 2), the fine-tune relicensed (batch 3);
    returns an instant before them."""
    for name in ("LINEAGE_API_KEY", "LINEAGE_API_KEYS", "LINEAGE_WEBHOOK_ALLOWED_TARGETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEO4J_URI", neo4j_uri)
    monkeypatch.setenv("COLUMNS", "250")
    before = datetime.now(UTC) - timedelta(seconds=5)
    writer = GraphWriter(clean_graph)
    writer.write([seen(ROOT, 0, declared_license=DeclaredLicense("apache-2.0")),
                  seen(CHILD, 0, declared_license=DeclaredLicense("apache-2.0")), derived(CHILD, ROOT, 0)],
                 run_id="crawl-1")
    writer.write([seen(ROOT, 5, declared_license=DeclaredLicense("cc-by-nc-4.0"))], run_id="sweep-2")
    writer.write([seen(CHILD, 6, declared_license=DeclaredLicense("mit")), derived(CHILD, ROOT, 6)], run_id="sweep-3")
    return before


def _changes(*args: str) -> list[dict[str, Any]]:
    result = _run("changes", *args, "--json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_changes_of_a_root_list_its_relicensing_and_kind_filters(family: datetime) -> None:
    since = family.isoformat()
    found = _changes("--since", since, "--root", ROOT)
    relicensed = [c for c in found if c["kind"] == "LICENSE_CHANGED" and c["batch"] == "sweep-2"]
    assert [(c["modelId"], c["details"]["old"], c["details"]["new"]) for c in relicensed] == [
        (ROOT, "apache-2.0", "cc-by-nc-4.0")]
    assert {c["modelId"] for c in found} == {ROOT, CHILD}  # the family: the fine-tune's own changes too
    assert [c["recordedAt"] for c in found] == sorted(c["recordedAt"] for c in found)

    added = _changes("--since", since, "--root", ROOT, "--kind", "MODEL_ADDED")
    assert sorted(c["modelId"] for c in added) == sorted([CHILD, ROOT])
    assert {c["kind"] for c in added} == {"MODEL_ADDED"}
    # a model scope looks upstream: the fine-tune sees its root's relicensing, the root not the fine-tune
    upstream = _changes("--since", since, "--model", ROOT, "--kind", "model_added,license_changed")
    assert CHILD not in {c["modelId"] for c in upstream}


def test_changes_page_through_first_and_newest_first(family: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    every = _changes("--since", family.isoformat(), "--first", "100000")
    assert len(every) == 4  # two models added (each one record), the root and the fine-tune relicensed
    monkeypatch.setattr("lineage.commands.changes._PAGE", 2)  # read in keyset pages of two
    assert [c["id"] for c in _changes("--since", family.isoformat())] == [c["id"] for c in every]
    three = _changes("--since", family.isoformat(), "--first", "3")
    assert [c["id"] for c in three] == [c["id"] for c in every[:3]]
    newest = _changes("--since", family.isoformat(), "--newest-first", "--first", "3")
    assert [c["id"] for c in newest] == [c["id"] for c in every[::-1][:3]]
    assert _changes("--since", (datetime.now(UTC) + timedelta(hours=1)).isoformat()) == []
    table = _run("changes", "--since", family.isoformat(), "--first", "3")
    assert "3 changes (more were recorded" in table.stdout


def test_old_ids_and_licence_aliases_resolve_like_the_api(family: datetime, clean_graph: Driver) -> None:
    GraphWriter(clean_graph).write([AliasSeen(OLD_ROOT_ID, ROOT, src(ROOT, 6))], run_id="rename-3")
    by_old_id = _changes("--since", family.isoformat(), "--root", OLD_ROOT_ID, "--kind", "LICENSE_CHANGED")
    assert {c["modelId"] for c in by_old_id} == {ROOT, CHILD}
    by_alias = _changes("--since", family.isoformat(), "--license", "  CC-BY-NC-4.0 ")
    assert [c["modelId"] for c in by_alias if c["kind"] == "LICENSE_CHANGED"] == [ROOT]


@pytest.mark.parametrize(("args", "wanted"), [
    (["--root", "nobody/nothing"], "'nobody/nothing' is not a model Lineage knows"),
    (["--license", "no-such-licence"], "'no-such-licence' is not a licence Lineage knows"),
    (["--term", "no-such-term"], "'no-such-term' is not a term Lineage knows"),
    (["--kind", "MODEL_RENAMED"], "'MODEL_RENAMED' is not a change kind"),
    (["--since", "yesterday"], "'yesterday' is not an ISO 8601 instant or date"),
    (["--root", ROOT, "--model", CHILD], "at most one of --root, --model, --license or --term"),
])
def test_bad_input_is_one_line_and_exit_2(family: datetime, args: list[str], wanted: str) -> None:
    result = _run("changes", *args)
    assert result.exit_code == 2, result.output
    assert wanted in _error_line(result)


def test_the_table_says_what_changed_in_one_line(family: datetime) -> None:
    result = _run("changes", "--since", family.isoformat(), "--root", ROOT, "--kind", "LICENSE_CHANGED")
    assert result.exit_code == 0, result.output
    assert "apache-2.0 → cc-by-nc-4.0" in result.stdout and "sweep-2" in result.stdout


def _watches(key: str) -> list[dict[str, Any]]:
    result = _run("watch", "list", "--key", key, "--json")
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_a_watch_belongs_to_its_key_and_is_removed(family: datetime) -> None:
    made = _run("watch", "add", "--root", ROOT, "--kind", "license_changed", "--key", KEY)
    assert made.exit_code == 0, made.output
    [mine] = _watches(KEY)
    assert mine["id"] in made.stdout
    assert mine["scope"] == {"kind": "ROOT", "id": ROOT} and mine["kinds"] == ["LICENSE_CHANGED"]
    assert mine["enabled"] is True and mine["webhookUrl"] is None
    assert "secret" not in made.stdout  # no webhook, nothing to sign
    assert _watches(OTHER_KEY) == []

    others = _run("watch", "rm", mine["id"], "--key", OTHER_KEY)
    assert others.exit_code == 2 and "is not a watch of this API key" in _error_line(others)
    assert _run("watch", "deliveries", mine["id"], "--key", OTHER_KEY).exit_code == 2
    events = _run("watch", "deliveries", mine["id"], "--key", KEY, "--json")
    assert events.exit_code == 0 and json.loads(events.stdout) == []

    removed = _run("watch", "rm", mine["id"], "--key", KEY)
    assert removed.exit_code == 0, removed.output
    assert _watches(KEY) == []
    again = _run("watch", "rm", mine["id"], "--key", KEY)
    assert again.exit_code == 2


def test_deliveries_show_the_events_a_dispatched_batch_made(family: datetime, clean_graph: Driver) -> None:
    assert _run("watch", "add", "--root", ROOT, "--kind", "LICENSE_CHANGED", "--key", KEY).exit_code == 0
    [watch] = _watches(KEY)
    GraphWriter(clean_graph).write([seen(ROOT, 8, declared_license=DeclaredLicense("mit"))], run_id="sweep-4")
    assert len(dispatch_batch(clean_graph, "sweep-4").events) == 1

    result = _run("watch", "deliveries", watch["id"], "--key", KEY, "--json")
    assert result.exit_code == 0, result.output
    [event] = json.loads(result.stdout)
    assert event["status"] == "stored" and event["attempts"] == 0  # no webhook: kept for the log only
    assert event["event"]["batch"] == "sweep-4" and event["event"]["counts"] == {"LICENSE_CHANGED": 1}
    table = _run("watch", "deliveries", watch["id"], "--key", KEY)
    assert table.exit_code == 0 and event["id"] in table.stdout and "stored" in table.stdout


def test_neo4j_away_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    monkeypatch.setenv("NEO4J_URI", uri)
    monkeypatch.setenv("NEO4J_CONNECT_TIMEOUT_S", "2")
    monkeypatch.setenv("NEO4J_TRANSACTION_RETRY_S", "1")
    monkeypatch.delenv("LINEAGE_API_KEYS", raising=False)
    for args in (["changes", "--root", ROOT], ["watch", "list", "--key", KEY]):
        result = _run(*args)
        assert result.exit_code == 1, result.output
        assert f"cannot reach Neo4j at {uri}" in _error_line(result)


def test_the_key_comes_from_the_environment_and_must_be_configured(
    family: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = _run("watch", "list")
    assert missing.exit_code == 2 and "--key" in _error_line(missing)
    monkeypatch.setenv("LINEAGE_API_KEY", KEY)
    assert _run("watch", "add", "--license", "Apache-2.0").exit_code == 0
    assert [w["scope"] for w in _watches(KEY)] == [{"kind": "LICENSE", "id": "apache-2.0"}]

    monkeypatch.setenv("LINEAGE_API_KEYS", OTHER_KEY)
    refused = _run("watch", "list")
    assert refused.exit_code == 2 and "not one of LINEAGE_API_KEYS" in _error_line(refused)
    monkeypatch.setenv("LINEAGE_API_KEYS", f"{OTHER_KEY},{KEY}")
    assert len(_watches(KEY)) == 1


def test_a_watch_needs_one_known_scope(family: datetime) -> None:
    none = _run("watch", "add", "--key", KEY)
    assert none.exit_code == 2 and "exactly one of --root" in _error_line(none)
    unknown = _run("watch", "add", "--model", "nobody/nothing", "--key", KEY)
    assert unknown.exit_code == 2 and "not a model Lineage knows" in _error_line(unknown)
    assert _watches(KEY) == []


def test_the_watch_limit_of_a_key_holds(family: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_MAX_WATCHES_PER_KEY", "1")
    assert _run("watch", "add", "--root", ROOT, "--key", KEY).exit_code == 0
    over = _run("watch", "add", "--model", CHILD, "--key", KEY)
    assert over.exit_code == 2 and "already has 1 watches" in _error_line(over)


def test_a_loopback_webhook_is_refused_unless_allowed(family: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = _run("watch", "add", "--root", ROOT, "--webhook", LOOPBACK_HOOK, "--key", KEY)
    assert refused.exit_code == 2
    assert "loopback" in _error_line(refused) and "LINEAGE_WEBHOOK_ALLOWED_TARGETS" in _error_line(refused)
    assert _watches(KEY) == []

    monkeypatch.setenv("LINEAGE_WEBHOOK_ALLOWED_TARGETS", "127.0.0.0/8")
    made = _run("watch", "add", "--root", ROOT, "--webhook", LOOPBACK_HOOK, "--key", KEY)
    assert made.exit_code == 0, made.output
    assert "keep it: deliveries are signed with it" in made.stdout and "whsec_" in made.stdout
    [watch] = _watches(KEY)
    assert watch["webhookUrl"] == LOOPBACK_HOOK
    assert "whsec_" not in json.dumps(watch)  # the secret is shown once, never listed


def _change(kind: ChangeKind, **details: Any) -> Change:
    return Change(id="c1", kind=kind, model_id=ROOT, batch="b", recorded_at=datetime.now(UTC), details=details)


@pytest.mark.parametrize(("change", "wanted"), [
    (_change(ChangeKind.LICENSE_CHANGED, old=None, new="mit", validFrom=None), "declared mit"),
    (_change(ChangeKind.DERIVATION_CLOSED, parent=ROOT, relation="quantized"), f"no longer quantized of {ROOT}"),
    (_change(ChangeKind.CONFLICT_OPENED, rule="R17", severity="error", path=["a", "b", "c", "d", "e"]),
     "R17 (error) via a ← b ← c ← d ← …"),
    (_change(ChangeKind.EFFECTIVE_TERMS_CHANGED, licensesAdded=["cc-by-nc-4.0"], licensesRemoved=[],
             termsAdded=[], termsRemoved=["t1"], commercialOld="yes", commercialNew="no"),
     "licences +cc-by-nc-4.0; terms -t1; commercial yes → no"),
])
def test_change_summary_is_one_line_from_the_details(change: Change, wanted: str) -> None:
    assert change_summary(change) == wanted
