"""The workers' client: what importing it loads, how it checks seeds, what it sends, how Redis failures surface."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from crawler.parsing import check_repo_id
from workers.client import CrawlClient, seed_problem
from workers.contract import TASK_RECOMPUTE, CoordinationUnavailable, InvalidCrawlRequest
from workers.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("neo4j", "huggingface_hub", "crawler", "graph", "terms", "reports", "api")


@pytest.mark.parametrize("module", ["workers.client", "workers.contract"])
def test_importing_the_client_loads_neither_the_graph_nor_the_crawler_nor_the_api(module: str) -> None:
    probe = (f"import sys, {module}; "
             f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_jobs_domain_talks_to_the_workers_only_through_the_client_and_the_contract() -> None:
    for path in (ROOT / "api" / "jobs").glob("*.py"):
        text = path.read_text()
        imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
        workers = {line.split()[1] for line in imports if line.split()[1].startswith("workers")}
        assert workers <= {"workers.client", "workers.contract"}, path
        assert not [line for line in imports if line.split()[1].split(".")[0] in {"redis", "celery", "kombu"}], path


@pytest.mark.parametrize("candidate", [
    "HuggingFaceH4/zephyr-7b-beta", "gpt2", "a/b", "Foo-BAR_foo.bar123", "x" * 96, "x" * 97, "org/" + "y" * 97,
    "", " gpt2", "gpt2 ", "a/b/c", "not a model id!!", ".repo", "repo.", "-repo", "foo--bar", "foo..bar",
    "foo.git", "org/model.git", "ünï/cödé", "org/", "/model", "org//model",
])
def test_seeds_are_checked_by_the_rule_the_crawler_applies(candidate: str) -> None:
    assert (seed_problem(candidate) is None) == (check_repo_id(candidate) is None)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_redis_is_a_coordination_error_within_the_patience() -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    client = CrawlClient(WorkerSettings(redis_url=url, redis_patience_s=0, publish_patience_s=0))
    with pytest.raises(CoordinationUnavailable) as caught:
        client.job("0123456789abcdef")
    assert isinstance(caught.value.__cause__, redis.RedisError)
    with pytest.raises(CoordinationUnavailable):
        client.request_crawl(["org/model"])
    with pytest.raises(CoordinationUnavailable):
        client.request_recompute(["org/model"])
    with pytest.raises(InvalidCrawlRequest):
        client.request_crawl(["not a model id!!"])  # checked before Redis is asked
    with pytest.raises(InvalidCrawlRequest):
        client.request_recompute([])


@pytest.mark.integration
def test_a_recompute_is_sent_by_name_to_the_propagation_queue(redis_url: str) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/5"  # nobody consumes here: the message stays in its queue
    broker = redis.Redis.from_url(url)
    broker.flushdb()
    try:
        task_id = CrawlClient(WorkerSettings(redis_url=url)).request_recompute(["org/b", "org/a", "org/a"])
        [raw] = broker.lrange("propagation", 0, -1)
        message = json.loads(raw)
        assert message["headers"]["task"] == TASK_RECOMPUTE and message["headers"]["id"] == task_id
        assert json.loads(base64.b64decode(message["body"]))[0] == [["org/a", "org/b"], None]
    finally:
        broker.flushdb()
        broker.close()
