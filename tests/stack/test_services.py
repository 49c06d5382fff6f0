"""The local stack is real: Neo4j over Bolt and redis-server, started and stopped by lineage.stack."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from neo4j import GraphDatabase

from lineage.stack import Neo4jServer, RedisServer, StackSettings
from lineage.stack.errors import DataDirLocked, DownloadFailed, PortInUse, PrerequisiteMissing
from tests.support.stack import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """A Neo4j of this module's own, so that stopping it does not disturb other tests."""
    settings = StackSettings(
        state_dir=tmp_path_factory.mktemp("own-stack"), neo4j_port=free_port(), neo4j_heap_mb=512, neo4j_pagecache_mb=128
    )
    server = Neo4jServer(settings)
    server.start()
    yield server
    server.stop()


def test_writes_and_reads_a_node_over_bolt(clean_graph: object, neo4j_uri: str) -> None:
    with GraphDatabase.driver(neo4j_uri) as driver:
        driver.execute_query("CREATE (:Model {id: $id, sha: $sha})", id="org/model-a", sha="abc123")
        records, _, _ = driver.execute_query("MATCH (m:Model {id: $id}) RETURN m.sha AS sha", id="org/model-a")
    assert [r["sha"] for r in records] == ["abc123"]


def test_second_start_reports_the_running_instance(own_neo4j: Neo4jServer) -> None:
    before = own_neo4j.status()
    again = own_neo4j.start()
    assert again.running and not again.started
    assert again.pid == before.pid


def test_committed_data_survives_stop_and_start(own_neo4j: Neo4jServer) -> None:
    with GraphDatabase.driver(own_neo4j.url) as driver:
        driver.execute_query("MERGE (:Model {id: 'survivor/model'})")
    assert own_neo4j.stop()
    assert not own_neo4j.status().running
    restarted = own_neo4j.start()
    assert restarted.started
    with GraphDatabase.driver(own_neo4j.url) as driver:
        records, _, _ = driver.execute_query("MATCH (m:Model {id: 'survivor/model'}) RETURN count(m) AS c")
    assert records[0]["c"] == 1


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = Neo4jServer(StackSettings(state_dir=tmp_path, neo4j_port=port))
        with pytest.raises(PortInUse, match=f"port {port} is already in use"):
            server.start()
        with pytest.raises(PortInUse, match="LINEAGE_REDIS_PORT"):
            RedisServer(StackSettings(state_dir=tmp_path, redis_port=port)).start()


def test_a_data_folder_held_by_another_neo4j_is_refused(own_neo4j: Neo4jServer, tmp_path: Path) -> None:
    intruder_settings = StackSettings(
        state_dir=tmp_path, neo4j_port=free_port(), neo4j_heap_mb=256, neo4j_pagecache_mb=64
    )
    intruder_settings.neo4j_dir.mkdir(parents=True)
    intruder_settings.neo4j_dir.joinpath("data").symlink_to(own_neo4j.data_dir.resolve())
    with pytest.raises(DataDirLocked, match="locked"):
        Neo4jServer(intruder_settings).start()
    assert own_neo4j.status().running


def test_missing_java_names_the_package_to_install(tmp_path: Path) -> None:
    settings = StackSettings(state_dir=tmp_path, neo4j_port=free_port(), java_bin="no-such-java-binary")
    with pytest.raises(PrerequisiteMissing, match="apt-get install -y openjdk-17-jdk-headless"):
        Neo4jServer(settings).start()


def test_a_failed_jar_download_says_what_to_do(tmp_path: Path) -> None:
    fake_mvn = tmp_path / "mvn"
    fake_mvn.write_text("#!/bin/sh\necho 'Could not transfer artifact org.neo4j:neo4j' >&2\nexit 1\n")
    fake_mvn.chmod(0o755)
    settings = StackSettings(
        state_dir=tmp_path, cache_dir=tmp_path / "cache", neo4j_port=free_port(), mvn_bin=str(fake_mvn)
    )
    with pytest.raises(DownloadFailed, match="Maven Central") as caught:
        Neo4jServer(settings).start()
    assert "Could not transfer artifact" in str(caught.value)
    assert not (settings.cache_dir / f"neo4j-{settings.neo4j_version}" / "lib" / ".complete").exists()


def test_redis_starts_answers_and_stops(tmp_path: Path) -> None:
    server = RedisServer(StackSettings(state_dir=tmp_path, redis_port=free_port()))
    status = server.start()
    try:
        client = redis.Redis.from_url(status.url)
        client.set("lineage:test", "kept")
        assert client.get("lineage:test") == b"kept"
        client.close()
    finally:
        assert server.stop()
    assert not server.status().running
