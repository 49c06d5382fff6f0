"""Which crawler outcomes mean "the hub could not be asked, try later" (read from the real crawler)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crawler.observations import ModelSeen, ModelStatus, ProblemKind, ProblemSeen
from hubreplay.serve import FaultConfig, ReplayServer, serve_in_thread
from crawler.settings import CrawlerSettings
from crawler.source import HubSource
from tests.support.hubfakes import FakeHubApi, http_error
from workers import hubwork

ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"
MISTRAL = "mistralai/Mistral-7B-v0.1"


@pytest.fixture(scope="module")
def failing_hub() -> Iterator[ReplayServer]:
    # model_info only: huggingface_hub retries failing listings itself for ~20 s (see the fake below)
    with serve_in_thread(faults=FaultConfig(rate_500=1.0, routes=("models.info",))) as server:
        yield server


def _source(url: str) -> HubSource:
    return HubSource(CrawlerSettings(endpoint=url, max_retries=1, backoff_base_s=0, backoff_max_s=0))


def test_a_fetch_and_a_listing_that_ran_out_of_retries_are_transient(failing_hub: ReplayServer) -> None:
    with _source(failing_hub.url) as source:
        fetched = hubwork.crawl_model(source, ZEPHYR, up=False)
    assert any(isinstance(o, ModelSeen) and o.status is ModelStatus.UNAVAILABLE for o in fetched.transient)
    failing = [http_error(500, "https://hub.test/api/models"), http_error(503, "https://hub.test/api/models")]
    api = FakeHubApi(errors={f"list_models:base_model:{MISTRAL}": failing})
    settings = CrawlerSettings(endpoint="https://hub.test", max_retries=1, backoff_base_s=0, backoff_max_s=0)
    with HubSource(settings, api=api, sleep=lambda _: None) as source:  # type: ignore[arg-type]
        listed = hubwork.list_children(source, MISTRAL, breadth=10)
    assert [o.kind for o in listed.transient if isinstance(o, ProblemSeen)] == [ProblemKind.HUB_ERROR]
    assert api.counts["list_models"] == 2


def test_facts_about_models_are_not_transient(hub: ReplayServer) -> None:
    with _source(hub.url) as source:
        gone = hubwork.crawl_model(source, "nobody/no-such-model", up=False)
        fine = hubwork.crawl_model(source, ZEPHYR, up=True)
    assert any(isinstance(o, ProblemSeen) and o.kind is ProblemKind.NOT_FOUND for o in gone.observations)
    assert gone.transient == [] and fine.transient == []


def test_observations_are_grouped_by_the_model_they_are_about(hub: ReplayServer) -> None:
    with _source(hub.url) as source:
        outcome = hubwork.list_children(source, MISTRAL, breadth=20)
    grouped = hubwork.group_by_model(outcome.observations)
    seen = grouped.models_seen()
    assert seen and all(hubwork.subject_of(o) == model_id for model_id, group in grouped.by_model.items()
                        for o in group)
    kept = grouped.select(lambda model_id: model_id == next(iter(seen)))
    assert {hubwork.subject_of(o) for o in kept} <= {next(iter(seen)), None}


def test_a_history_that_ran_out_of_retries_is_a_gap_not_a_transient_failure() -> None:
    """The model was read; only its commit history failed: nothing to retry, its facts are written."""
    with serve_in_thread(faults=FaultConfig(rate_500=1.0, routes=("models.commits",))) as server:
        settings = CrawlerSettings(endpoint=server.url, max_retries=1, backoff_base_s=0, backoff_max_s=0, history=True)
        with HubSource(settings) as source:
            fetched = hubwork.crawl_model(source, ZEPHYR, up=False)
    gaps = [o for o in fetched.observations if isinstance(o, ProblemSeen) and o.message.startswith("history: ")]
    assert len(gaps) == 1 and "gave up after" in gaps[0].message
    assert any(isinstance(o, ModelSeen) and o.status is ModelStatus.AVAILABLE for o in fetched.observations)
    assert fetched.transient == []
