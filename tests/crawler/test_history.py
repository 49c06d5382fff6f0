"""Commit histories read through the replay hub: declarations dated by the commits that made them.

The bundled snapshot gives the real cases (the relicensed fixture's two recorded revisions, a model
known only by its head commit, a model whose older revisions were not recorded); a small snapshot
written here gives a paged history with a card that changed, stayed, and was absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.history import HISTORY_PROBLEM
from crawler.observations import (
    DatedDeclaration,
    DeclarationHistory,
    ModelSeen,
    ModelStatus,
    Observation,
    ProblemKind,
    ProblemSeen,
)
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from hubreplay.serve import FaultConfig, ReplayServer, serve_in_thread
from hubreplay.snapshot import Snapshot, SnapshotWriter
from hubreplay.snapshot.hubshape import git_blob_id
from tests.support.hubfakes import model_payload

RELICENSED = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
R1 = "a1270f6b7e2c9e42fe8a996a14a46dd5149bf258"
R2 = "52e8e8b3de90567761caf3be701ad9ffbbf3e0e7"


def crawl(hub: ReplayServer, model_id: str, **settings: object) -> tuple[list[Observation], HubSource, int]:
    """(observations, source, requests the hub saw) of one deep crawl of ``model_id`` with history."""
    before = hub.stats.total
    with HubSource(CrawlerSettings(endpoint=hub.url, max_retries=0, history=True, **settings)) as source:
        out = list(source.iter_model(model_id))
    return out, source, hub.stats.total - before


def history_of(out: list[Observation]) -> DeclarationHistory:
    found = [o for o in out if isinstance(o, DeclarationHistory)]
    assert len(found) == 1
    return found[0]


def _licence(version: DatedDeclaration) -> str | None:
    return None if version.declared_license is None else version.declared_license.id


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_the_relicensed_fixture_has_two_versions_dated_by_their_commits(hub: ReplayServer, bundled: Snapshot) -> None:
    out, source, _ = crawl(hub, RELICENSED)
    history = history_of(out)
    versions = [(v.revision, v.valid_from, v.valid_to, _licence(v)) for v in history.versions]
    # the dates and licences the snapshot recorded for the two revisions (manifest highlights.history)
    recorded = {r["sha"]: r for r in bundled.manifest.highlights["history"]["revisions"]}
    assert versions == [
        (R1, utc(recorded[R1]["date"]), utc(recorded[R2]["date"]), recorded[R1]["license"]),
        (R2, utc(recorded[R2]["date"]), None, recorded[R2]["license"]),
    ]
    assert all(v.url.endswith(f"/resolve/{v.revision}/README.md") for v in history.versions)
    assert [[b.parent_id for b in v.base_models] for v in history.versions] == [["meta-llama/Llama-3.1-8B"]] * 2
    assert history.complete and history.source.revision == R2
    # one commit-listing page, one HEAD of the older revision's card (the head's etag came with
    # model_info), one GET of the card that differs
    assert source.report.history_requests == 3


def test_a_model_known_by_its_head_commit_has_one_version_dated_at_it(hub: ReplayServer, bundled: Snapshot) -> None:
    model_id = "HuggingFaceH4/zephyr-7b-beta"
    entry = bundled.model(model_id)
    assert entry is not None and entry.sha is not None and entry.last_modified is not None
    out, source, requests = crawl(hub, model_id)
    (version,) = history_of(out).versions
    assert (version.revision, version.valid_from, version.valid_to) == (entry.sha, utc(entry.last_modified), None)
    model = next(o for o in out if isinstance(o, ModelSeen))
    assert version.declared_license == model.declared_license
    assert source.report.history_requests == 1  # the commit listing only: one commit, the card is model_info's


def test_a_revision_the_hub_cannot_answer_is_a_gap_reported_not_guessed(hub: ReplayServer) -> None:
    """gpt2's older commits are listed but their cards were not recorded (404 RevisionNotFound): the
    head card is dated from the head commit at least, the history is incomplete, the gap a problem."""
    out, _, _ = crawl(hub, "gpt2")
    history = history_of(out)
    assert [v.revision for v in history.versions] == ["607a30d783dfa663caf39e06633721c8d4cfcd7e"]
    assert not history.complete
    gaps = [o for o in out if isinstance(o, ProblemSeen) and o.message.startswith(HISTORY_PROBLEM)]
    assert len(gaps) == 1 and "11c5a3d5811f50298f278a704980280950aedb10" in gaps[0].message
    assert next(o for o in out if isinstance(o, ModelSeen)).status is ModelStatus.AVAILABLE


def test_a_failing_commit_listing_costs_the_history_only(bundled: Snapshot) -> None:
    with serve_in_thread(bundled) as hub:
        hub.set_faults(FaultConfig(seed=3, rate_500=1.0, routes=("models.commits",)))
        out, _, _ = crawl(hub, RELICENSED)
    assert not [o for o in out if isinstance(o, DeclarationHistory)]
    model = next(o for o in out if isinstance(o, ModelSeen))
    assert model.status is ModelStatus.AVAILABLE and model.declared_license is not None
    assert model.declared_license.id == "llama3.1"  # the current facts are still there
    gaps = [o for o in out if isinstance(o, ProblemSeen) and o.message.startswith(HISTORY_PROBLEM)]
    assert len(gaps) == 1 and "commit history" in gaps[0].message


def test_history_is_off_unless_asked(hub: ReplayServer) -> None:
    before = hub.stats.total
    with HubSource(CrawlerSettings(endpoint=hub.url, max_retries=0)) as source:
        out = list(source.iter_model(RELICENSED))
    assert not [o for o in out if isinstance(o, DeclarationHistory)]
    assert hub.stats.total - before == 1 and source.report.history_requests == 0


# -- a paged history: c5 (head) mit, c4 mit (same card), c3 apache, c2 apache, c1 no card ------------

PAGED = "hist/paged"
GATED = "hist/gated"
SHAS = {n: f"{n:040x}" for n in range(1, 6)}
DATES = {n: f"2024-0{n}-01T00:00:00.000Z" for n in range(1, 6)}
CARDS = {5: "mit", 4: "mit", 3: "apache-2.0", 2: "apache-2.0"}


def card(licence: str) -> str:
    return f"---\nlicense: {licence}\n---\n\n# paged\n"


@pytest.fixture(scope="module")
def paged_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayServer]:
    folder: Path = tmp_path_factory.mktemp("paged")
    with SnapshotWriter(folder, name="history-tests", provenance={"made_by": __file__}, compress=False) as w:
        head = model_payload(PAGED, license="mit", sha=SHAS[5], lastModified=DATES[5], siblings=["README.md"])
        w.add_model(head)
        w.add_file(PAGED, "README.md", card("mit"))
        for n in range(1, 5):
            info = model_payload(PAGED, license=CARDS.get(n), sha=SHAS[n], lastModified=DATES[n],
                                 siblings=["README.md"] if n in CARDS else [])
            w.add_revision(PAGED, SHAS[n], info)
            if n in CARDS:
                w.add_file(PAGED, "README.md", card(CARDS[n]), revision=SHAS[n])
        w.add_commits(PAGED, [{"id": SHAS[n], "title": f"c{n}", "message": "", "authors": [], "date": DATES[n]}
                              for n in range(5, 0, -1)])
        gated = model_payload(GATED, license="mit", sha=SHAS[5], lastModified=DATES[5], siblings=["README.md"],
                              gated="manual")
        w.add_model(gated)
        w.add_file(GATED, "README.md", card("mit"))
        w.add_revision(GATED, SHAS[4], {**gated, "sha": SHAS[4], "lastModified": DATES[4]})
        w.add_file(GATED, "README.md", card("apache-2.0"), revision=SHAS[4])
        w.add_commits(GATED, [{"id": SHAS[n], "title": f"c{n}", "message": "", "authors": [], "date": DATES[n]}
                              for n in (5, 4)])
    with serve_in_thread(folder, max_page_size=2) as server:
        yield server


def test_a_paged_history_reads_each_card_once_and_dates_it_by_the_commit_that_introduced_it(
    paged_hub: ReplayServer,
) -> None:
    out, source, _ = crawl(paged_hub, PAGED)
    history = history_of(out)
    spans = [(v.revision, v.valid_from, v.valid_to, _licence(v)) for v in history.versions]
    assert spans == [
        (SHAS[1], utc(DATES[1]), utc(DATES[2]), None),  # no card: nothing declared
        (SHAS[2], utc(DATES[2]), utc(DATES[4]), "apache-2.0"),
        (SHAS[4], utc(DATES[4]), None, "mit"),
    ]
    assert history.complete
    by_route = paged_hub.stats.snapshot()["by_route"]
    # 3 listing pages of 2; a HEAD per commit beyond the head (4); a GET where the etag changed (c3 only:
    # c4 has the head's card, c2 the same as c3, c1 none)
    assert by_route["models.commits"] == 3
    assert source.report.history_requests == 3 + 4 + 1


def test_the_commits_examined_are_bounded_newest_first(paged_hub: ReplayServer) -> None:
    paged_hub.stats.reset()
    out, source, _ = crawl(paged_hub, PAGED, max_history_commits=3)
    history = history_of(out)
    # c5..c3 examined: c3's card dates apache from c3 at least; older commits are not read
    spans = [(v.revision, v.valid_from, v.valid_to) for v in history.versions]
    assert spans == [(SHAS[3], utc(DATES[3]), utc(DATES[4])), (SHAS[4], utc(DATES[4]), None)]
    assert not history.complete
    assert paged_hub.stats.snapshot()["by_route"]["models.commits"] == 2  # 2 pages of 2 ≥ 3 commits
    assert source.report.history_requests == 2 + 2 + 1


def test_the_resolve_route_answers_each_revision_with_its_own_blob_etag(paged_hub: ReplayServer) -> None:
    import httpx

    for n, licence in CARDS.items():
        url = f"{paged_hub.url}/{PAGED}/resolve/{SHAS[n]}/README.md"
        head = httpx.head(url)
        assert head.status_code == 200 and head.headers["etag"].strip('"') == git_blob_id(card(licence).encode())
        assert httpx.get(url).text == card(licence)
    assert httpx.head(f"{paged_hub.url}/{PAGED}/resolve/{SHAS[1]}/README.md").status_code == 404


def test_a_card_the_hub_refuses_to_show_is_a_gap_for_the_history_only(paged_hub: ReplayServer) -> None:
    """A gated repo answers its metadata and commit list but 401 on files without a granted token."""
    out, _, _ = crawl(paged_hub, GATED)
    gaps = [o for o in out if isinstance(o, ProblemSeen) and o.message.startswith(HISTORY_PROBLEM)]
    assert len(gaps) == 1 and SHAS[4] in gaps[0].message and "401" in gaps[0].message
    assert gaps[0].kind is ProblemKind.GATED
    model = next(o for o in out if isinstance(o, ModelSeen))
    assert model.declared_license is not None and model.declared_license.id == "mit"
    history = history_of(out)  # the head card is dated from the head commit at least; nothing before it
    assert [(v.revision, v.valid_from) for v in history.versions] == [(SHAS[5], utc(DATES[5]))]
    assert not history.complete
