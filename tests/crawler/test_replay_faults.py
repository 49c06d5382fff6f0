"""Fault injection of the replay hub: configured statuses, reproducible from a seed, off by default."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError

from hubreplay.serve import FaultConfig, ReplayServer, ReplaySettings
from hubreplay.snapshot.hubshape import split_card

MODEL = "HuggingFaceH4/zephyr-7b-beta"


@pytest.fixture(autouse=True)
def no_faults(hub: ReplayServer) -> Iterator[None]:
    hub.set_faults(FaultConfig())
    yield
    hub.set_faults(FaultConfig())


def _statuses(client: httpx.Client, url: str, n: int) -> list[tuple[int, str | None]]:
    out = []
    for _ in range(n):
        response = client.get(url)
        out.append((response.status_code, response.headers.get("Retry-After")))
    return out


def test_no_faults_by_default(hub: ReplayServer) -> None:
    assert not ReplaySettings().faults.active
    with httpx.Client() as client:
        assert {s for s, _ in _statuses(client, f"{hub.url}/api/models/{MODEL}", 40)} == {200}


def test_configured_statuses_are_injected_and_reproducible(hub: ReplayServer) -> None:
    config = {"seed": 7, "rate_429": 0.3, "retry_after_s": 3, "rate_500": 0.1, "rate_502": 0.1, "rate_503": 0.1}
    runs = []
    with httpx.Client() as client:
        for _ in range(2):
            assert client.post(f"{hub.url}/_replay/faults", json=config).status_code == 200
            runs.append(_statuses(client, f"{hub.url}/api/models/{MODEL}", 200))
        client.post(f"{hub.url}/_replay/faults", json={**config, "seed": 8})
        other_seed = _statuses(client, f"{hub.url}/api/models/{MODEL}", 200)
    assert runs[0] == runs[1]
    assert other_seed != runs[0]
    counts = Counter(status for status, _ in runs[0])
    assert set(counts) == {200, 429, 500, 502, 503}
    assert 35 <= counts[429] <= 85 and 70 <= counts[200] <= 130  # 30 % and 40 % of 200, loosely
    assert {retry for status, retry in runs[0] if status == 429} == {"3"}
    assert {retry for status, retry in runs[0] if status != 429} == {None}


def test_faults_count_in_the_request_stats(hub: ReplayServer) -> None:
    hub.set_faults(FaultConfig(seed=1, rate_503=1.0))
    hub.stats.reset()
    with httpx.Client() as client:
        _statuses(client, f"{hub.url}/api/models/{MODEL}", 5)
    assert hub.stats.snapshot()["by_route_status"] == {"models.info": {"503": 5}}


def test_faults_can_be_limited_to_routes(hub: ReplayServer) -> None:
    hub.set_faults(FaultConfig(seed=1, rate_500=1.0, routes=("models.list",)))
    with httpx.Client() as client:
        assert client.get(f"{hub.url}/api/models/{MODEL}").status_code == 200
        assert client.get(f"{hub.url}/api/models", params={"limit": 1}).status_code == 500


def test_the_real_client_sees_the_injected_status(hub: ReplayServer) -> None:
    hub.set_faults(FaultConfig(seed=2, rate_502=1.0))
    with pytest.raises(HfHubHTTPError) as raised:
        HfApi(endpoint=hub.url, token=False).model_info(MODEL)
    assert raised.value.response.status_code == 502


def test_slow_responses(hub: ReplayServer) -> None:
    hub.set_faults(FaultConfig(slow_rate=1.0, slow_ms=250))
    started = time.monotonic()
    assert httpx.get(f"{hub.url}/api/models/{MODEL}").status_code == 200
    assert time.monotonic() - started >= 0.25


def test_malformed_yaml_card(hub: ReplayServer, tmp_path: Path) -> None:
    hub.set_faults(FaultConfig(malformed_card_rate=1.0, malformed_modes=("yaml",)))
    api = HfApi(endpoint=hub.url, token=False)
    assert api.model_info(MODEL).card_data is None  # the Hub could not parse the card
    readme = Path(hf_hub_download(MODEL, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False))
    front, _ = split_card(readme.read_text(encoding="utf-8"))
    assert front is not None
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(front)


def test_base_model_of_the_wrong_type(hub: ReplayServer, tmp_path: Path) -> None:
    hub.set_faults(FaultConfig(malformed_card_rate=1.0, malformed_modes=("base_model_type",)))
    response = httpx.get(f"{hub.url}/api/models/{MODEL}").json()
    assert response["cardData"]["base_model"] == {"model": "mistralai/Mistral-7B-v0.1"}
    readme = Path(hf_hub_download(MODEL, "README.md", endpoint=hub.url, cache_dir=tmp_path, token=False))
    front, _ = split_card(readme.read_text(encoding="utf-8"))
    assert isinstance(yaml.safe_load(front or "")["base_model"], dict)


def test_malformed_cards_hit_a_stable_share_of_models(hub: ReplayServer) -> None:
    hub.set_faults(FaultConfig(seed=5, malformed_card_rate=0.5))
    ids = [e.id for e in hub.hub.snapshot.iter_models()][:400]
    first = [hub.hub.faults.malformed(i) for i in ids]
    assert first == [hub.hub.faults.malformed(i) for i in ids]  # a broken card stays broken
    broken = sum(mode is not None for mode in first)
    assert 150 <= broken <= 250 and {m for m in first if m} == {"yaml", "base_model_type"}


def test_invalid_fault_config_is_refused(hub: ReplayServer) -> None:
    response = httpx.post(f"{hub.url}/_replay/faults", json={"rate_429": 0.8, "rate_500": 0.5})
    assert response.status_code == 400
    assert httpx.post(f"{hub.url}/_replay/faults", json={"rate_999": 1}).status_code == 400
    assert httpx.get(f"{hub.url}/_replay/faults").json()["rate_429"] == 0.0


def test_faults_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_REPLAY_FAULTS__RATE_429", "0.25")
    monkeypatch.setenv("LINEAGE_REPLAY_FAULTS__SEED", "11")
    settings = ReplaySettings()
    assert settings.faults.rate_429 == 0.25 and settings.faults.seed == 11


def test_serve_command_maps_fault_flags_onto_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lineage.commands import hub as hub_command

    seen: list[ReplaySettings] = []
    monkeypatch.setattr(hub_command, "run_server", lambda settings, on_ready=None: seen.append(settings))
    monkeypatch.setenv("LINEAGE_REPLAY_FAULTS__RATE_500", "0.05")
    args = ["serve", str(tmp_path), "--port", "0", "--fault-429", "0.2", "--retry-after", "4", "--fault-seed", "9"]
    result = CliRunner().invoke(
        hub_command.app, [*args, "--slow-rate", "0.5", "--slow-ms", "100", "--grant-token", "t"]
    )
    assert result.exit_code == 0, result.output
    (settings,) = seen
    faults = settings.faults
    assert (faults.rate_429, faults.retry_after_s, faults.seed, faults.rate_500) == (0.2, 4, 9, 0.05)
    assert (faults.slow_rate, faults.slow_ms) == (0.5, 100) and settings.snapshot == tmp_path
    assert [t.get_secret_value() for t in settings.gated_tokens] == ["t"]
    invalid = CliRunner().invoke(hub_command.app, ["serve", "--fault-429", "0.7", "--fault-503", "0.7"])
    assert invalid.exit_code == 1
