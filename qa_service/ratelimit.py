"""Token-bucket rate limits, per key (a client IP, an address), kept in this process.

With several processes each keeps its own buckets: the limit a client sees is then up to
N times the setting (documented in the README; put a shared limiter in the proxy for more).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    per_minute: int
    burst: int | None = None
    max_keys: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, last time)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str, now: float) -> int | None:
        """Take one token; None if allowed, else the seconds to wait."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        capacity = float(self.burst or self.per_minute)
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / rate))
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._buckets.clear()  # bounded memory under a flood of new keys
            self._buckets[key] = (tokens - 1.0, now)
            return None
