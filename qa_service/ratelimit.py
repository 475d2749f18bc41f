"""Token-bucket rate limits, per key (a client IP, an address).

`RateLimiter` keeps its buckets in this process, at most `max_keys` of them: when a new key
finds the table full, the bucket touched longest ago goes (it has had the longest to refill),
so a flood of new keys can neither grow memory nor free a key that is still being limited.
With several processes each keeps its own, and the limit a client sees is N times the
setting; `RedisRateLimiter` (QA_REDIS_URL) keeps the buckets in Redis instead, shared by
every process and instance, each bucket one hash that expires once it would be full again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class Limiter(Protocol):
    async def hit(self, key: str) -> int | None:
        """Take one token for `key`; None if allowed, else the seconds to wait."""


@dataclass
class RateLimiter:
    per_minute: int
    burst: int | None = None
    max_keys: int = 100_000
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)  # key -> (tokens, last time)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def hit(self, key: str) -> int | None:
        return self.take(key, time.monotonic())

    def take(self, key: str, now: float) -> int | None:
        """Take one token at time `now` (seconds, monotonic); None if allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        capacity = float(self.burst or self.per_minute)
        with self._lock:
            tokens, last = self._buckets.pop(key, (capacity, now))
            if len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)  # the one touched longest ago
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / rate))
            self._buckets[key] = (tokens - 1.0, now)
            return None

    def __len__(self) -> int:
        return len(self._buckets)


# One bucket: a hash {n: tokens, t: last time}, the time Redis's own (one clock for every
# instance), refilled, taken from and given an expiry in one atomic script.
TAKE = """
local rate, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'n', 't')
local tokens = tonumber(bucket[1]) or capacity
local last = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens < 1 then wait = math.max(1, math.ceil((1 - tokens) / rate)) else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'n', tostring(tokens), 't', string.format('%.6f', now))
redis.call('EXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1)
return wait
"""


@dataclass
class RedisRateLimiter:
    """The same token bucket, kept in Redis under `<prefix><name>:<key>` and shared by every
    process that names the same Redis and prefix. If Redis cannot be reached, the request is
    counted by `fallback` (this process's own limiter) and a warning is logged."""

    redis: Redis
    name: str
    per_minute: int
    prefix: str = "qa:rate:"
    burst: int | None = None
    fallback: RateLimiter | None = None

    def __post_init__(self) -> None:
        self._take = self.redis.register_script(TAKE)
        self.fallback = self.fallback or RateLimiter(self.per_minute, self.burst)

    async def hit(self, key: str) -> int | None:
        if self.per_minute <= 0:
            return None
        from redis.exceptions import RedisError

        try:
            wait = int(await self._take(keys=[f"{self.prefix}{self.name}:{key}"],
                                        args=[self.per_minute / 60.0, self.burst or self.per_minute]))
        except (RedisError, OSError) as error:
            log.warning("rate limits: Redis unreachable (%s); counting in this process", error)
            assert self.fallback is not None
            return await self.fallback.hit(key)
        return wait or None
