"""Faults reach the scale hub's listing pages: 429, 5xx, unparsable bodies and truncated listings."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import HfApi

from hubreplay.serve import FaultConfig, ReplayServer, serve_in_thread


def test_429_and_5xx_reach_listing_pages(changing_hub: ReplayServer) -> None:
    changing_hub.set_faults(FaultConfig(rate_429=1.0, retry_after_s=7, routes=("models.list",)))
    response = httpx.get(f"{changing_hub.url}/api/models", params={"sort": "lastModified"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert httpx.get(f"{changing_hub.url}/api/models/synthetic-org0/FLUX-dev-0").status_code == 200
    for status in (500, 502, 503):
        changing_hub.set_faults(FaultConfig(**{f"rate_{status}": 1.0}, routes=("models.list",)))
        assert httpx.get(f"{changing_hub.url}/api/models", params={"limit": 10}).status_code == status


def test_unparsable_listing_pages(changing_hub: ReplayServer) -> None:
    changing_hub.set_faults(FaultConfig(unparsable_rate=1.0, routes=("models.list",)))
    response = httpx.get(f"{changing_hub.url}/api/models", params={"limit": 50})
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_truncated_listing_ends_without_a_next_link(changing_hub: ReplayServer) -> None:
    changing_hub.set_faults(FaultConfig(listing_truncate_after=2500))
    models = list(HfApi(endpoint=changing_hub.url).list_models(sort="lastModified"))
    assert len(models) == 2500
    changing_hub.set_faults(FaultConfig())
    assert len(list(HfApi(endpoint=changing_hub.url).list_models(sort="lastModified"))) == 20_000


def test_truncated_listing_on_a_snapshot_hub() -> None:
    with serve_in_thread(faults=FaultConfig(listing_truncate_after=3)) as server:
        assert len(list(HfApi(endpoint=server.url).list_models(limit=None))) == 3


def test_malformed_cards_reach_scale_models(changing_hub: ReplayServer) -> None:
    hub = changing_hub.hub.scale  # type: ignore[attr-defined]
    model_id = next(hub.source.model_id(i) for i in range(300, 20_000) if hub.catalog.columns.parents(i))
    changing_hub.set_faults(FaultConfig(malformed_card_rate=1.0, malformed_modes=("base_model_type",)))
    card = httpx.get(f"{changing_hub.url}/api/models/{model_id}").json()["cardData"]
    assert isinstance(card["base_model"], dict)
    readme = httpx.get(f"{changing_hub.url}/{model_id}/resolve/main/README.md")
    assert readme.status_code == 200 and "model:" in readme.text
