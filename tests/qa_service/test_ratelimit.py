"""Token buckets: a burst up to the per-minute setting, then one request per 60/N seconds."""

from __future__ import annotations

from qa_service.ratelimit import RateLimiter


def test_a_bucket_allows_its_burst_then_refills_at_the_rate() -> None:
    limiter = RateLimiter(per_minute=6)  # one token every 10 s, six at most
    assert [limiter.hit("a", 0.0) for _ in range(6)] == [None] * 6
    assert limiter.hit("a", 0.0) == 10  # the wait until the next token
    assert limiter.hit("a", 4.0) == 6
    assert limiter.hit("a", 10.0) is None
    assert limiter.hit("b", 10.0) is None  # keys have their own buckets
    assert [limiter.hit("a", 1000.0) for _ in range(7)] == [None] * 6 + [10]  # refilled to six, no more


def test_zero_means_no_limit_and_memory_stays_bounded() -> None:
    assert all(RateLimiter(per_minute=0).hit("a", 0.0) is None for _ in range(1000))
    limiter = RateLimiter(per_minute=1, max_keys=100)
    for i in range(1000):
        limiter.hit(f"ip-{i}", 0.0)
    assert len(limiter._buckets) <= 100
