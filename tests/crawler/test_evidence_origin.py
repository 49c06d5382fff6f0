"""Evidence cites the public hub a replay hub replays, not the replay hub's local address."""

from __future__ import annotations

import json

from crawler.observations import DeploymentSeen, DerivationSeen, ModelSeen
from crawler.settings import CrawlerSettings, EvidenceOrigin
from crawler.source import HubSource
from hubreplay.serve import serve_in_thread

ZEPHYR = "HuggingFaceH4/zephyr-7b-beta"
FIXTURE = "lineage-fixtures/Llama-3.1-8B-relicensed-ft"
ORIGIN = "https://huggingface.co"


def test_a_url_of_the_endpoint_becomes_the_same_path_at_the_origin() -> None:
    settings = CrawlerSettings(
        endpoint="http://127.0.0.1:8765/",
        evidence_origins={"http://127.0.0.1:8765": EvidenceOrigin(origin=ORIGIN, excludes=("lineage-fixtures/",))},
    )
    assert settings.public_url("http://127.0.0.1:8765/api/models/a/b?expand=x") == f"{ORIGIN}/api/models/a/b?expand=x"
    assert settings.public_url("http://127.0.0.1:8765/a/b/resolve/abc/README.md") == f"{ORIGIN}/a/b/resolve/abc/README.md"
    # constructed fixtures do not exist at the origin; other hosts and other endpoints are left alone
    assert settings.public_url(f"http://127.0.0.1:8765/api/models/{FIXTURE}") == f"http://127.0.0.1:8765/api/models/{FIXTURE}"
    assert settings.public_url("http://127.0.0.1:87650/api/models/a/b") == "http://127.0.0.1:87650/api/models/a/b"
    other = CrawlerSettings(endpoint="http://127.0.0.1:9000", evidence_origins=settings.evidence_origins)
    assert other.public_url("http://127.0.0.1:9000/api/models/a/b") == "http://127.0.0.1:9000/api/models/a/b"
    assert CrawlerSettings(endpoint="http://127.0.0.1:8765").public_url("http://127.0.0.1:8765/x/y") == "http://127.0.0.1:8765/x/y"


def test_the_variable_takes_the_json_the_replay_hub_prints(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cited = {"http://127.0.0.1:8765": {"origin": ORIGIN, "excludes": ["lineage-fixtures/"]}}
    monkeypatch.setenv("LINEAGE_CRAWLER_EVIDENCE_ORIGINS", json.dumps(cited))
    settings = CrawlerSettings(endpoint="http://127.0.0.1:8765")
    assert settings.evidence_origins["http://127.0.0.1:8765"].excludes == ("lineage-fixtures/",)
    assert settings.public_url("http://127.0.0.1:8765/api/models/a/b") == f"{ORIGIN}/api/models/a/b"


def test_a_crawl_of_the_bundled_snapshot_cites_huggingface_co_except_for_constructed_fixtures() -> None:
    with serve_in_thread() as hub:
        origins = hub.evidence_origins()
        assert origins == {hub.url: {"origin": ORIGIN, "excludes": ["lineage-fixtures/"]}}
        settings = CrawlerSettings.model_validate({"endpoint": hub.url, "max_retries": 0, "evidence_origins": origins})
        with HubSource(settings) as source:
            zephyr = list(source.iter_observations(ZEPHYR, up=True, down=0, deployers=True))
            fixture = list(source.iter_up(FIXTURE))
        plain = CrawlerSettings.model_validate({"endpoint": hub.url, "max_retries": 0})
        with HubSource(plain) as source:
            local = list(source.iter_up(ZEPHYR))
    urls = [o.source.url for o in zephyr if isinstance(o, ModelSeen | DerivationSeen | DeploymentSeen)]
    assert urls and all(u.startswith(f"{ORIGIN}/") for u in urls), urls
    assert f"{ORIGIN}/api/models/{ZEPHYR}" in urls
    spaces = [o.url for o in zephyr if isinstance(o, DeploymentSeen) and o.url and "/spaces/" in o.url]
    assert spaces and all(u.startswith(f"{ORIGIN}/spaces/") for u in spaces)
    # the constructed fixture keeps citing the replay hub; its real Llama parent cites huggingface.co
    seen = {o.id: o.source.url for o in fixture if isinstance(o, ModelSeen)}
    assert seen[FIXTURE].startswith(f"{hub.url}/")
    assert all(url.startswith(f"{ORIGIN}/") for model, url in seen.items() if model != FIXTURE)
    # without the setting, evidence names the endpoint that was read
    assert all(o.source.url.startswith(f"{hub.url}/") for o in local if isinstance(o, ModelSeen))


def test_a_listing_page_read_through_a_replay_cites_the_public_listing_url() -> None:
    from datetime import UTC, datetime

    from crawler.hubclient import ModelsPage
    from crawler.listing import read_page

    settings = CrawlerSettings(
        endpoint="http://127.0.0.1:8765", evidence_origins={"http://127.0.0.1:8765": EvidenceOrigin(origin=ORIGIN)}
    )
    page = ModelsPage("http://127.0.0.1:8765/api/models?limit=2", [{"id": "a/b", "sha": "1" * 40}], None)
    listed = read_page(page, datetime(2026, 1, 1, tzinfo=UTC), settings.public_url)
    assert [o.source.url for o in listed.observations] == [f"{ORIGIN}/api/models?limit=2"]
    assert [o.source.url for o in read_page(page, datetime(2026, 1, 1, tzinfo=UTC)).observations] == [page.url]
