"""``/metrics``: the optional key, the closed set of method labels; and the key-length rules."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from api.app import create_app
from api.metrics import METHODS, method_label
from api.settings import MIN_KEY_LENGTH, ApiSettings

METRICS_KEY = "metrics-key-8d41c07be2a95f36d1c8e4"


async def _client(settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    # /healthz and /metrics need neither Neo4j nor Redis: no lifespan
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://lineage.test") as client:
        yield client


def _count(exposition: str, method: str, route: str) -> float:
    pattern = rf'^lineage_http_requests_total\{{method="{re.escape(method)}",route="{re.escape(route)}",status="[0-9]+"\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, exposition, re.MULTILINE))


def test_standard_methods_keep_their_name_and_anything_else_is_other() -> None:
    assert {method_label(m) for m in METHODS} == METHODS
    assert {method_label(m) for m in ("PROPFIND", "BREW", "get", "X" * 200)} == {"other"}


@pytest.mark.anyio
async def test_made_up_methods_share_one_label() -> None:
    async for client in _client(ApiSettings()):
        before = (await client.get("/metrics")).text
        for method in ("PROPFIND", "BREW", "FOO-1", "FOO-2"):
            await client.request(method, "/healthz")
        after = (await client.get("/metrics")).text
    assert _count(after, "other", "/healthz") - _count(before, "other", "/healthz") == 4
    assert not re.search(r'method="(PROPFIND|BREW|FOO-1|FOO-2)"', after)


@pytest.mark.anyio
async def test_metrics_are_open_without_a_key() -> None:
    async for client in _client(ApiSettings()):
        answer = await client.get("/metrics")
    assert answer.status_code == 200 and "lineage_http_requests_total" in answer.text


@pytest.mark.anyio
async def test_metrics_need_the_key_when_one_is_set() -> None:
    async for client in _client(ApiSettings(metrics_key=SecretStr(METRICS_KEY))):
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY[:-1]}x"})
        basic = await client.get("/metrics", headers={"Authorization": f"Basic {METRICS_KEY}"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "lineage_http_requests_total" not in refused.text
    assert right.status_code == 200 and "lineage_http_requests_total" in right.text


def test_an_empty_metrics_key_leaves_metrics_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEAGE_METRICS_KEY", "")  # what compose passes when the variable is unset
    assert ApiSettings().metrics_key is None


def test_short_keys_are_refused_at_start_up_without_echoing_them(monkeypatch: pytest.MonkeyPatch) -> None:
    long_key = "k" * MIN_KEY_LENGTH
    short_key = "short-secret-value"
    monkeypatch.setenv("LINEAGE_API_KEYS", f"{long_key},{short_key}")
    with pytest.raises(ValidationError) as refused:
        ApiSettings()
    message = str(refused.value)
    assert f"at least {MIN_KEY_LENGTH} characters" in message and "key number 2 of 2" in message
    assert short_key not in message and long_key not in message
    with pytest.raises(ValidationError) as metrics_refused:
        ApiSettings(metrics_key=SecretStr(short_key))
    assert "LINEAGE_METRICS_KEY" in str(metrics_refused.value) and short_key not in str(metrics_refused.value)

    monkeypatch.setenv("LINEAGE_API_KEYS", f"{long_key}, {'m' * 40}")
    assert [k.get_secret_value() for k in ApiSettings().api_keys] == [long_key, "m" * 40]
