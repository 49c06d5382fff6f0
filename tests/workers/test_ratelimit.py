"""The shared token bucket against the real Redis."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from workers.ratelimit import RedisTokenBucket

pytestmark = pytest.mark.integration


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url)


def test_burst_then_waits_at_the_refill_rate(client: redis.Redis) -> None:
    now = [1000.0]
    bucket = RedisTokenBucket(client, rate=10, burst=3, prefix=f"t:{uuid.uuid4()}", clock=lambda: now[0])
    assert [bucket.try_acquire("hub") for _ in range(3)] == [0, 0, 0]
    assert bucket.try_acquire("hub") == pytest.approx(0.1)
    now[0] += 0.1
    assert bucket.try_acquire("hub") == 0


def test_a_pause_holds_every_holder_of_the_bucket(client: redis.Redis) -> None:
    prefix = f"t:{uuid.uuid4()}"
    first = RedisTokenBucket(client, rate=100, burst=100, prefix=prefix)
    second = RedisTokenBucket(client, rate=100, burst=100, prefix=prefix)
    first.pause("hub", 2.0)
    assert 1.0 < second.try_acquire("hub") <= 2.0
    assert second.try_acquire("other-hub") == 0


def test_concurrent_holders_never_exceed_the_rate(client: redis.Redis) -> None:
    bucket_prefix = f"t:{uuid.uuid4()}"
    taken: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        bucket = RedisTokenBucket(redis.Redis(connection_pool=client.connection_pool), rate=20, burst=5, prefix=bucket_prefix)
        for _ in range(10):
            bucket.acquire("hub")
            with lock:
                taken.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # 40 tokens at 20/s with a burst of 5 cannot take less than (40 - 5) / 20 seconds
    assert len(taken) == 40
    assert elapsed >= (40 - 5) / 20 * 0.95
