"""The API keeps answering under hostile load: ``lineage serve`` with 32 clients sending the most
expensive operations the budget admits for 20 s, while a prober times ``/healthz``."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support.bundled import BundledGraph
from tests.support.stack import children, free_port, lineage_serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENTS = 32
SECONDS = 20.0

# Computed for every request (the cache is off): the engine over every model a licence reaches, its
# flow facts and aggregates, and the deployments reached; within the query budget.
EXPENSIVE = (
    '{ propagation(license: "apache-2.0") { scope totalModels byDepth { depth count } '
    "byRelation { relation count } termFlow { termId kind keep drop violate } "
    "topRelicensingPoints { child { id } fromLicense toLicense downstreamCount } "
    "conflictsByRule { ruleId severity conflicts models } deploymentsReached { id kind modelId } } }"
)
NORMAL = '{ model(id: "meta-llama/Llama-3.1-8B") { id declaredLicenseId conflictState } }'


def _rss_kb(pid: int) -> int:
    total = 0
    for p in (pid, *children(pid)):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def test_health_answers_and_nothing_hangs_under_32_clients_of_expensive_queries(
    bundled_graph: BundledGraph, stack_env: dict[str, str], tmp_path: Path
) -> None:
    bundled_graph.ensure()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with lineage_serve(port, 2, {**stack_env, "LINEAGE_RESPONSE_CACHE": "0"}, tmp_path) as proc:
        with httpx.Client(base_url=base, timeout=30) as warm:  # the answer is a real one
            answer = warm.post("/graphql", json={"query": EXPENSIVE})
            assert answer.status_code == 200 and answer.json()["data"]["propagation"]["totalModels"] > 100

        outcomes: Counter[str] = Counter()
        lock = threading.Lock()

        def client(stop: float) -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while time.monotonic() < stop:
                    try:
                        answer = http.post("/graphql", json={"query": EXPENSIVE})
                    except httpx.TimeoutException:
                        kind = "client timeout"
                    else:
                        body = answer.json()
                        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or ()}
                        if answer.status_code == 503:
                            kind = "503"
                            assert answer.headers.get("retry-after")
                        elif answer.status_code == 200 and not codes:
                            kind = "answered"
                        elif answer.status_code == 200 and codes == {"TIMEOUT"}:
                            kind = "timeout"
                        else:
                            kind = f"unexpected {answer.status_code} {codes}"
                    with lock:
                        outcomes[kind] += 1

        # a short burst first: the memory baseline is a server that has already served this load once
        burst = [threading.Thread(target=client, args=(time.monotonic() + 3,)) for _ in range(CLIENTS)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join(timeout=60)
        time.sleep(2.0)
        rss_before = _rss_kb(proc.pid)
        outcomes.clear()
        stop = time.monotonic() + SECONDS

        health: list[float] = []

        def prober() -> None:
            with httpx.Client(base_url=base, timeout=5) as http:
                while time.monotonic() < stop:
                    began = time.perf_counter()
                    assert http.get("/healthz").status_code == 200
                    health.append((time.perf_counter() - began) * 1000)
                    time.sleep(0.02)

        threads = [threading.Thread(target=client, args=(stop,)) for _ in range(CLIENTS)]
        threads.append(threading.Thread(target=prober))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 60)
        assert not any(t.is_alive() for t in threads), "a client never got an answer"

        assert set(outcomes) <= {"answered", "503", "timeout"}, outcomes
        assert outcomes["answered"] > 0, outcomes
        assert len(health) > 100
        p99 = _pct(health, 99)
        # A stalled server answers its probe in seconds (or not at all: the 5 s client timeout). These
        # bounds tell a stall from a busy 2-core machine (measured here: median 6-9 ms, p99 100-210 ms);
        # how fast the probe is under load is a benchmark figure, not a test's.
        median = statistics.median(health)
        assert median <= 50 and p99 <= 250, f"/healthz median {median:.1f} ms, p99 {p99:.0f} ms under load"

        time.sleep(2.0)
        normal = []
        with httpx.Client(base_url=base, timeout=5) as http:
            for _ in range(10):
                began = time.perf_counter()
                answer = http.post("/graphql", json={"query": NORMAL})
                normal.append((time.perf_counter() - began) * 1000)
                assert answer.json()["data"]["model"]["id"] == "meta-llama/Llama-3.1-8B"
        assert statistics.median(normal) <= 50, normal
        rss_after = _rss_kb(proc.pid)
        print(f"outcomes {dict(outcomes)}; /healthz p50 {statistics.median(health):.1f} ms p99 {p99:.1f} ms; "
              f"normal query median {statistics.median(normal):.1f} ms; RSS {rss_before} -> {rss_after} kB")
        assert rss_after <= rss_before * 1.10, f"memory grew from {rss_before} kB to {rss_after} kB"
