"""docker-compose.yml is safe by default: passwords on Neo4j and Redis, secrets only where needed.

There is no Docker here, so the file is read with PyYAML (which resolves its anchors and merge
keys) and its ``${VAR…}`` references are interpolated the way Compose does, with a given
environment: ``${VAR:-default}``, ``${VAR:?message}`` (an error when unset or empty) and ``$$``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
ENV = {"NEO4J_PASSWORD": "neo4j-password-1234", "REDIS_PASSWORD": "redis-password-5678", "HF_TOKEN": "hf_secret"}
CRAWLERS = {"worker-hub"}  # the services whose queues talk to the Hub
_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}")


class Unset(Exception):
    """A ``${VAR:?message}`` whose variable is not set."""


def _interpolate(value: Any, env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _interpolate(inner, env) for key, inner in value.items()}
    if isinstance(value, list):
        return [_interpolate(inner, env) for inner in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group(1), match.group(2), match.group(3)
        given = env.get(name, "")
        if op == ":?" and not given:
            raise Unset(f"{name}: {arg}")
        if op == ":-" and not given:
            return arg
        return given

    return _REFERENCE.sub(replace, value)


def _services(env: dict[str, str] = ENV) -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load(COMPOSE.read_text())
    return _interpolate(compose["services"], env)  # type: ignore[no-any-return]


def _env(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (service.get("environment") or {}).items()}


def test_redis_requires_a_password_and_every_redis_url_carries_it() -> None:
    services = _services()
    command = services["redis"]["command"]
    assert command[command.index("--requirepass") + 1] == ENV["REDIS_PASSWORD"]
    health = " ".join(services["redis"]["healthcheck"]["test"])
    assert "PONG" in health and _env(services["redis"])["REDISCLI_AUTH"] == ENV["REDIS_PASSWORD"]
    users = {name: _env(svc)["REDIS_URL"] for name, svc in services.items() if "REDIS_URL" in _env(svc)}
    assert {"api", "worker-hub", "worker-graph", "beat"} <= set(users)
    for name, url in users.items():
        parsed = urlparse(url)
        assert (parsed.hostname, parsed.password) == ("redis", ENV["REDIS_PASSWORD"]), name


def test_neo4j_has_auth_and_every_service_has_its_password() -> None:
    services = _services()
    auth = _env(services["neo4j"])["NEO4J_AUTH"]
    assert auth.lower() != "none" and auth == f"neo4j/{ENV['NEO4J_PASSWORD']}"
    for name, service in services.items():
        if "NEO4J_URI" in _env(service):
            assert _env(service)["NEO4J_PASSWORD"] == ENV["NEO4J_PASSWORD"], name


@pytest.mark.parametrize("missing", ["NEO4J_PASSWORD", "REDIS_PASSWORD"])
def test_the_stack_does_not_start_without_its_passwords(missing: str) -> None:
    with pytest.raises(Unset, match=missing):
        _services({key: value for key, value in ENV.items() if key != missing})


def test_hf_token_reaches_only_the_crawling_workers() -> None:
    services = _services()
    holders = {name for name, svc in services.items() if ENV["HF_TOKEN"] in str(svc)}
    assert holders == CRAWLERS
    assert all("hub" in services[name]["command"] for name in CRAWLERS)


def test_the_api_is_locked_down_by_default() -> None:
    services = _services()
    api = _env(services["api"])
    assert api["LINEAGE_GRAPHIQL"] == "0" and api["LINEAGE_API_DOCS"] == "0"
    assert "--workers" in services["api"]["command"]
    assert all(port.startswith("127.0.0.1:") for port in services["api"]["ports"])
    keys = {name for name, svc in services.items() if "LINEAGE_API_KEYS" in _env(svc)}
    assert keys == {"api"}
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"api"}  # Neo4j and Redis are reachable only inside the compose network


def test_the_image_holds_every_package_the_project_installs() -> None:
    """A package added to pyproject.toml but not copied into the image would fail only at deploy time."""
    import tomllib

    root = COMPOSE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (root / "Dockerfile").read_text(), flags=re.MULTILINE))
    assert packages == copied


def test_every_queue_has_a_worker_that_consumes_it() -> None:
    from workers.queues import Queue

    consumed: set[str] = set()
    for service in _services().values():
        command = service.get("command") or []
        if command[:2] == ["lineage", "worker"]:
            consumed |= {command[i + 1] for i, arg in enumerate(command) if arg == "--queue"}
    assert consumed == {queue.value for queue in Queue}
