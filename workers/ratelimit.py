"""One rate limit for every worker against a hub: a token bucket kept in Redis.

The bucket refills at ``rate`` tokens a second up to ``burst``; taking a token is one atomic
Lua call, so any number of worker processes on any number of hosts share it. When the hub
answers ``429 Retry-After: N`` a worker calls :meth:`RedisTokenBucket.pause` and every worker
waits out the pause before its next request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

__all__ = ["RedisTokenBucket"]

# KEYS[1] bucket hash, KEYS[2] pause key; ARGV: rate, burst, now (s, float)
# returns the seconds to wait (0 when a token was taken)
_TAKE = """
local pause_ttl = redis.call('PTTL', KEYS[2])
if pause_ttl > 0 then return tostring(pause_ttl / 1000.0) end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RedisTokenBucket:
    """A shared limiter: :meth:`acquire` blocks until a request to ``endpoint`` may be sent."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        rate: float,
        burst: int,
        prefix: str = "lineage:ratelimit",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.client = client
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self.clock = clock
        self.sleep = sleep
        self._take = client.register_script(_TAKE)

    def _keys(self, endpoint: str) -> list[str]:
        return [f"{self.prefix}:{endpoint}:bucket", f"{self.prefix}:{endpoint}:pause"]

    def try_acquire(self, endpoint: str) -> float:
        """Take a token if one is there; otherwise return the seconds to wait before trying again."""
        return float(self._take(keys=self._keys(endpoint), args=[self.rate, self.burst, self.clock()]))

    def acquire(self, endpoint: str) -> None:
        while (wait := self.try_acquire(endpoint)) > 0:
            self.sleep(min(wait, 5.0))

    def pause(self, endpoint: str, seconds: float) -> None:
        """Stop every worker's requests to ``endpoint`` for ``seconds`` (a hub's Retry-After)."""
        if seconds > 0:
            self.client.set(self._keys(endpoint)[1], "1", px=max(1, int(seconds * 1000)))
